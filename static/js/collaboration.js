/* Comments and files, improved when JavaScript runs; everything works without it.
   - Mentions: typing "@" and the start of a name offers the organisation's members to pick from
     (arrow keys and Enter, or a click); typing the whole name works just as well.
   - Files: a file dragged onto the attachment form is attached as if chosen with the file picker. */
(function () {
  "use strict";

  function mentionFragment(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|[^\w@.])@([^\s@]{0,40})$/.exec(before);
    return match ? { text: match[2], start: before.length - match[2].length - 1 } : null;
  }

  function setUpMentions(textarea) {
    var source = document.getElementById(textarea.dataset.mentions);
    if (!source) return;
    var members = JSON.parse(source.textContent);
    var list = document.createElement("ul");
    list.id = textarea.id + "-suggestions";
    list.className = "mention-suggestions list-unstyled";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Members you can mention");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    textarea.insertAdjacentElement("afterend", status);
    textarea.insertAdjacentElement("afterend", list);
    textarea.setAttribute("aria-controls", list.id);
    var options = [];
    var active = -1;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      options = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function choose(index) {
      var fragment = mentionFragment(textarea);
      if (!fragment || !options[index]) return close();
      var handle = options[index].handle;
      var value = textarea.value;
      var after = value.slice(textarea.selectionStart);
      textarea.value = value.slice(0, fragment.start) + "@" + handle + " " + after;
      var caret = fragment.start + handle.length + 2;
      textarea.setSelectionRange(caret, caret);
      status.textContent = "Mentioned " + options[index].name + ".";
      close();
      textarea.focus();
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) textarea.setAttribute("aria-activedescendant", list.children[index].id);
    }

    textarea.addEventListener("input", function () {
      var fragment = mentionFragment(textarea);
      if (!fragment) return close();
      var typed = fragment.text.toLowerCase();
      options = members.filter(function (member) {
        return member.handle.toLowerCase().indexOf(typed) === 0 || member.name.toLowerCase().indexOf(typed) !== -1;
      }).slice(0, 8);
      if (!options.length) return close();
      list.replaceChildren();
      options.forEach(function (member, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.textContent = member.name + " (@" + member.handle + ")";
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      highlight(0);
      status.textContent = options.length + " member" + (options.length === 1 ? "" : "s") + " to mention: arrow keys to choose, Enter to pick.";
    });

    textarea.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + options.length) % options.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        if (active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        close();
      }
    });
    textarea.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  function setUpDropZone(form) {
    var input = form.querySelector("input[type=file]");
    if (!input) return;
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("is-dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("is-dragging"); });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  }

  document.querySelectorAll("textarea[data-mentions]").forEach(setUpMentions);
  document.querySelectorAll("form[data-drop-zone]").forEach(setUpDropZone);
})();
