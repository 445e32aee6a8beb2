// The step-through review, made quicker with JavaScript; everything works without it.
// 1. Focus lands where a person acts next (the decision, an error summary or a page's heading),
//    without scrolling the evidence above it out of view.
// 2. The reason for "does not apply" shows only once that is chosen (GOV.UK's conditional reveal).
(function () {
  "use strict";
  var target = document.querySelector("[data-autofocus]");
  if (target) {
    target.focus({ preventScroll: target.type === "radio" });
  }
  document.querySelectorAll("[data-reveal-when]").forEach(function (group) {
    var trigger = document.getElementById(group.getAttribute("data-reveal-when"));
    if (!trigger || !trigger.form) {
      return;
    }
    var sync = function () {
      group.hidden = !trigger.checked;
      trigger.setAttribute("aria-expanded", trigger.checked ? "true" : "false");
    };
    trigger.form.querySelectorAll('input[type="radio"][name="' + trigger.name + '"]').forEach(function (radio) {
      radio.addEventListener("change", sync);
    });
    sync();
  });
})();
