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

  // A select with data-submit-on-change sends its form as soon as a value is chosen (filters).
  function wireAutoSubmit(root) {
    root.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
      if (select.dataset.wired) return;
      select.dataset.wired = "1";
      select.addEventListener("change", function () {
        if (select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      });
    });
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

  function init(root) {
    focusFirstError(root);
    wireAutoSubmit(root);
    wireConfirm(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
