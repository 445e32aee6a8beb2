/* Lists of actions (templates/peerplan/includes/action_row.html), improved when JavaScript runs; every change
   also works without it, through each row's "Change" link and the bulk form.
   - Status, owner and due date save on change (htmx posts the row's form); the row says "Saved" and offers
     Undo for a few seconds.
   - The owner drop-downs are filled from the page's one list of members (<template id="owner-choices-…">).
   - The bulk bar shows only while rows are selected.
   - Keyboard triage where the page has the shortcuts dialog (#shortcuts): see _shortcuts.html. */
(function () {
  "use strict";

  var UNDO_SECONDS = 10;
  var announcer = document.getElementById("announce");

  function announce(text) {
    if (!announcer) return;
    // Emptied first, so saying the same words twice is still heard.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function fillOwners(select) {
    if (select.dataset.filled) return;
    var source = document.getElementById(select.dataset.ownerChoices);
    if (!source) return;
    var current = select.value;
    var existing = {};
    Array.prototype.forEach.call(select.options, function (option) { existing[option.value] = true; });
    Array.prototype.forEach.call(source.content.children, function (option) {
      if (!existing[option.value]) select.appendChild(option.cloneNode(true));
    });
    select.value = current;
    select.dataset.filled = "1";
  }

  function showStatus(select) {
    select.className = select.className.replace(/\bprop-status-\S+/g, "") + " prop-status-" + select.value;
  }

  function rowOf(element) {
    return element && element.closest ? element.closest("[data-action-row]") : null;
  }

  function setUp(root) {
    root.querySelectorAll("select.prop-owner").forEach(fillOwners);
    root.querySelectorAll("select.prop-status").forEach(function (select) {
      select.addEventListener("change", function () { showStatus(select); });
    });
    root.querySelectorAll("form[data-undo]").forEach(function (form) {
      window.setTimeout(function () {
        if (!form.isConnected) return;
        var block = form.closest(".action-props");
        var hadFocus = form.contains(document.activeElement);
        form.remove();
        var saved = block && block.querySelector(".prop-outcome");
        if (saved) saved.remove();
        if (hadFocus && block) {
          var status = block.querySelector("select.prop-status");
          if (status) status.focus();
        }
      }, UNDO_SECONDS * 1000);
    });
    // The row's selection carries the version it was shown at: after a change in place, the new one.
    if (root.classList && root.classList.contains("action-props")) {
      window.setTimeout(function () { replay(root); }, 0);
      var row = rowOf(root);
      var box = row && row.querySelector("input[name=ids]");
      if (box) box.value = box.value.split(":")[0] + ":" + root.dataset.version;
    }
  }

  // A change made while the row's previous one is still being saved would carry the old version and be
  // refused as a conflict: it waits, and is sent from the new block (with the new version) once that arrives.
  var waiting = {};
  document.body.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form.classList || !form.classList.contains("props-edit")) return;
    var block = form.closest(".action-props");
    if (form.dataset.busy) {
      event.preventDefault();
      waiting[block.id] = {};
      form.querySelectorAll(".prop").forEach(function (control) { waiting[block.id][control.name] = control.value; });
    }
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.classList.contains("props-edit")) event.detail.elt.dataset.busy = "1";
  });
  function replay(block) {
    var values = waiting[block.id];
    if (!values) return;
    delete waiting[block.id];
    var form = block.querySelector("form.props-edit");
    if (!form || block.querySelector(".prop-problem")) return;  // refused: the person reads why first
    var changed = false;
    form.querySelectorAll(".prop").forEach(function (control) {
      if (control.name in values && control.value !== values[control.name]) {
        control.value = values[control.name];
        changed = true;
      }
    });
    if (changed) form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // htmx restores focus to a control with the same id; a pressed Undo has none in the new block.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var block = event.detail.target;
    if (block && document.activeElement === document.body && document.getElementById(block.id)) {
      var status = document.getElementById(block.id).querySelector("select.prop-status");
      if (status) status.focus();
    }
  });

  if (window.htmx) {
    window.htmx.onLoad(setUp);
  } else {
    setUp(document);
  }

  // The bulk bar ---------------------------------------------------------------------------------------
  var bar = document.querySelector("[data-bulk-bar]");
  function selected() {
    return bar ? document.querySelectorAll("input[name=ids][form=" + bar.id + "]:checked") : [];
  }
  function updateBar() {
    if (!bar) return;
    var count = selected().length;
    bar.hidden = count === 0;
    bar.classList.add("bulk-bar-floating");
    var label = bar.querySelector("[data-bulk-count]");
    if (label) label.textContent = "(" + count + " selected)";
  }
  if (bar) {
    document.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("input[name=ids]")) updateBar();
    });
    updateBar();
  }

  // Keyboard triage ------------------------------------------------------------------------------------
  var dialog = document.getElementById("shortcuts");
  if (!dialog) return;
  var me = (document.querySelector("[data-me]") || {}).dataset;
  var STATUSES = ["planned", "in_progress", "done", "blocked", "dropped"];

  document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
    button.addEventListener("click", function () { dialog.showModal(); });
  });

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-action-row]"));
  }

  function title(row) {
    var link = row.querySelector(".row-title");
    return link ? link.textContent.trim() : "";
  }

  function describe(row) {
    var status = row.querySelector("select.prop-status");
    var owner = row.querySelector("select.prop-owner");
    var due = row.querySelector("input.prop-due");
    var parts = [title(row)];
    if (status) parts.push("status " + status.options[status.selectedIndex].text);
    if (owner) parts.push(owner.value ? "owner " + owner.options[owner.selectedIndex].text : "no owner");
    if (due) parts.push(due.value ? "due " + due.value : "no due date");
    if (row.classList.contains("is-overdue")) parts.push("overdue");
    return parts.join(", ");
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(rowOf(document.activeElement));
    var next = index === -1 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + step, 0), all.length - 1);
    all[next].focus();
    announce("Action " + (next + 1) + " of " + all.length + ": " + describe(all[next]) + ".");
  }

  function change(control, value) {
    if (!control) return false;
    control.value = value;
    control.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
    var target = event.target;
    // Just after the dialog closes, Chromium leaves focus on its Close button until a later task: a key
    // pressed at once (Escape, then j) would be taken for the button's and lost. It counts as no focus.
    if (dialog.contains(target)) target = document.body;
    // Never while typing, choosing or pressing something: those keys are the control's.
    if (target.closest && target.closest("input, select, textarea, button, [contenteditable], summary")) return;
    if (event.key === "?") {
      event.preventDefault();
      dialog.showModal();
      return;
    }
    if (target.tagName === "A" && !target.classList.contains("row-title")) return;
    var row = rowOf(target);
    if (event.key === "j" || event.key === "ArrowDown") {
      event.preventDefault();
      move(1);
    } else if (event.key === "k" || event.key === "ArrowUp") {
      event.preventDefault();
      move(-1);
    } else if (!row) {
      return;
    } else if ((event.key === "Enter" && target === row) || event.key === "o") {
      event.preventDefault();
      row.querySelector(".row-title").click();
    } else if (/^[1-5]$/.test(event.key)) {
      event.preventDefault();
      if (!change(row.querySelector("select.prop-status"), STATUSES[Number(event.key) - 1])) {
        announce("You cannot change this action.");
      }
    } else if (event.key === "m") {
      event.preventDefault();
      var owner = row.querySelector("select.prop-owner");
      if (owner && me && me.me) {
        fillOwners(owner);
        change(owner, me.me);
      } else {
        announce("You cannot change this action.");
      }
    } else if (event.key === "x") {
      event.preventDefault();
      var box = row.querySelector("input[name=ids]");
      if (box) {
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        announce((box.checked ? "Selected: " : "Not selected: ") + title(row) + ". " + selected().length + " selected.");
      }
    }
  });
})();
