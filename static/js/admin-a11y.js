// Django's filter widget (SelectFilter2.js) labels a bare <span> with aria-label, which ARIA
// prohibits on an element without a role (axe-core: aria-prohibited-attr). Give it the role
// its icon is, once the widget is built (it builds on the window's load, maybe after us).
window.addEventListener("load", function () {
  "use strict";
  window.setTimeout(function () {
    document.querySelectorAll(".selector .search-label-icon[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }, 0);
});
