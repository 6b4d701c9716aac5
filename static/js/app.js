// Alignment's page behaviour. No inline scripts: everything a page does beyond htmx lives here.
(function () {
  "use strict";

  // After a form re-renders with errors, put the cursor on the first field that has one.
  function focusFirstError(root) {
    var field = root.querySelector("[aria-invalid='true']");
    if (field && typeof field.focus === "function") {
      field.focus();
    }
  }

  // Buttons with data-confirm ask before their form is sent.
  function wireConfirm(root) {
    root.querySelectorAll("[data-confirm]").forEach(function (button) {
      if (button.dataset.confirmWired) return;
      button.dataset.confirmWired = "1";
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.confirm)) event.preventDefault();
      });
    });
  }

  // The lead list's "select the leads on this page" box ticks or clears every row's box.
  function wireSelectPage(root) {
    root.querySelectorAll("[data-select-page]").forEach(function (box) {
      if (box.dataset.selectWired) return;
      box.dataset.selectWired = "1";
      box.addEventListener("change", function () {
        document.querySelectorAll("[data-row-select]").forEach(function (row) { row.checked = box.checked; });
      });
    });
  }

  function init(root) {
    focusFirstError(root);
    wireConfirm(root);
    wireSelectPage(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
