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

// An autocomplete (select2) names its combobox, and the text box inside it, by the text of the
// current choice, so an empty one has no name (axe-core: aria-input-field-name). Name both by
// the field's own label.
window.addEventListener("load", function () {
  "use strict";
  window.setTimeout(function () {
    document.querySelectorAll("select.admin-autocomplete[id]").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var box = select.parentElement && select.parentElement.querySelector(".select2-selection[role=combobox]");
      var shown = document.getElementById("select2-" + select.id + "-container");
      var name = label && label.textContent.replace(/[:：]\s*$/, "").trim();
      [box, shown].forEach(function (element) {
        if (name && element && !element.getAttribute("aria-label")) {
          element.setAttribute("aria-label", name);
        }
      });
    });
  }, 0);
});
