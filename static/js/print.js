/* The report's Print button: shown only when this script runs (without it, the browser's own Print does
   the same), and it opens the browser's print dialogue, where the report can also be saved as a PDF. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
