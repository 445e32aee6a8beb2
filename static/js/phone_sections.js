/* Long sections are <details class="phone-collapse" open>: open wherever this script does not run (no
   JavaScript, or a wide screen), closed on a phone, so a long page reads as its headings with their counts
   and each is opened when wanted. A section the address points to (#its-id) is left open. */
(function () {
  "use strict";
  if (!window.matchMedia("(max-width: 575.98px)").matches) {
    return;
  }
  var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  document.querySelectorAll("details.phone-collapse[open]").forEach(function (section) {
    if (!(target && (section.contains(target) || target.contains(section)))) {
      section.removeAttribute("open");
    }
  });
})();
