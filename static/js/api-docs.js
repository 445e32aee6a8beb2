// The API docs page: what Swagger UI leaves out for assistive technology, added to what it renders (it renders
// again as a reader opens operations, so a MutationObserver keeps up). Headings take their place under the
// page's one h1 (Swagger UI jumps from its h1 title to h3 tags and h4 sections); a parameter's select is named
// by its parameter; a scrolling example can be reached with the keyboard.
(function () {
  "use strict";

  const LEVELS = [
    ["h3.opblock-tag", 2],
    [".models h4, .models h5", 2],
    [".opblock h4, .opblock h5", 3],
  ];

  function mend(root) {
    for (const [selector, level] of LEVELS) {
      for (const heading of root.querySelectorAll(selector)) {
        if (!heading.hasAttribute("aria-level")) {
          heading.setAttribute("role", "heading");
          heading.setAttribute("aria-level", String(level));
        }
      }
    }
    for (const select of root.querySelectorAll("tr[data-param-name] select:not([aria-label])")) {
      select.setAttribute("aria-label", select.closest("tr").dataset.paramName);
    }
    for (const example of root.querySelectorAll("pre.microlight:not([tabindex]), .highlight-code pre:not([tabindex])")) {
      example.setAttribute("tabindex", "0");
    }
  }

  function start() {
    const root = document.getElementById("swagger-ui");
    if (!root) {
      return;
    }
    mend(root);
    new MutationObserver(function () {
      mend(root);
    }).observe(root, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
