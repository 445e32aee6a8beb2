// The action form's list of challenges, narrowed as a person types into "Find a challenge". Without
// JavaScript the box stays hidden and the whole list shows. A challenge filtered out of view keeps its tick
// (it is still in the form and is saved), and the count says how many are ticked in all.
(function () {
  "use strict";
  var box = document.getElementById("challenge-filter");
  var list = document.getElementById("challenge-options");
  if (!box || !list) {
    return;
  }
  var options = Array.prototype.slice.call(list.querySelectorAll(".challenge-option"));
  var count = document.getElementById("challenge-filter-count");
  var say = function () {
    var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    var ticked = 0;
    options.forEach(function (option) {
      var text = option.textContent.toLowerCase();
      var match = words.every(function (word) {
        return text.indexOf(word) !== -1;
      });
      option.hidden = !match;
      shown += match ? 1 : 0;
      ticked += option.querySelector("input").checked ? 1 : 0;
    });
    count.textContent =
      (words.length ? "Showing " + shown + " of " + options.length + " challenges. " : "") + ticked + " ticked.";
  };
  box.closest(".challenge-filter").hidden = false;
  box.addEventListener("input", say);
  list.addEventListener("change", say);
  // Enter in the box would submit the whole form before the person has finished choosing.
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
    }
  });
  say();
})();
