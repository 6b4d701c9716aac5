// Alignment's page behaviour. No inline scripts: everything a page does beyond htmx lives here.
(function () {
  "use strict";

  // After a form re-renders with errors, put the cursor on the first field that has one. A form
  // htmx swapped in place is brought into view whole (as far as it fits), not just that field.
  function focusFirstError(root) {
    var field = root.querySelector(":is(input, select, textarea)[aria-invalid='true']");
    if (!field) return;
    if (root.tagName === "FORM") {
      root.scrollIntoView({ block: "nearest" });
      field.focus({ preventScroll: true });
    } else {
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

  // A table wider than its box scrolls sideways; a keyboard reaches the box to scroll it only if
  // the box can take the focus, and a screen reader then says what it is.
  function focusableScrollers() {
    document.querySelectorAll(".table-wrap, .overflow-auto").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) {
        if (box.hasAttribute("tabindex")) return;
        var caption = box.querySelector("caption");
        box.dataset.scrollFocus = "1";
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table, scrolls sideways");
      } else if (box.dataset.scrollFocus) {
        delete box.dataset.scrollFocus;
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  // A form htmx sent that was refused or failed (403, 404, 500) is sent again as a plain post, so
  // the page shows the server's answer as it would have without JavaScript, instead of nothing.
  // form.submit() fires no submit event, so htmx leaves it alone.
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt;
    if (form.tagName === "FORM" && form.hasAttribute("hx-post")) form.submit();
  });
  // The lead list's "select the leads on this page" box ticks or clears every row's box.
  function wireSelectPage(root) {
    root.querySelectorAll("[data-select-page]").forEach(function (box) {
      if (box.dataset.selectWired) return;
      box.dataset.selectWired = "1";
      box.addEventListener("change", function () {
        document.querySelectorAll("[data-row-select]").forEach(function (row) { row.checked = box.checked; });
        updateBulkBar();
      });
    });
  }

  // The bulk bar shows once a lead is ticked (or "all matching"), with how many; without
  // JavaScript it is always there.
  function updateBulkBar() {
    var bar = document.querySelector("[data-bulk-bar]");
    if (!bar) return;
    var ticked = document.querySelectorAll("[data-row-select]:checked").length;
    var all = document.querySelector("[data-testid='select-all-matching']:checked");
    bar.classList.toggle("is-idle", !ticked && !all);
    var count = bar.querySelector("[data-bulk-count]");
    if (count) count.textContent = all ? "(all matching)" : ticked ? "(" + ticked + ")" : "";
  }
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches("[data-row-select], [data-select-page], [data-testid='select-all-matching']")) updateBulkBar();
    // A filter form's lists apply as soon as one changes: one request, as its own submit would
    // send (a text field waits for Enter or the button, so typing sends nothing).
    var form = field.form;
    if (form && form.hasAttribute("data-filter-form") && field.tagName === "SELECT") form.requestSubmit();
  });
  // After a bulk action the list shows the leads as they are now.
  document.addEventListener("leads-changed", function () {
    if (window.htmx && document.getElementById("lead-results")) {
      window.htmx.ajax("GET", window.location.href, { target: "#lead-results", swap: "innerHTML" });
    }
  });

  // A lead answered in the rep's inbox: say so to a screen reader and move on to the next lead
  // waiting (or the one before it), without scrolling the page away.
  function inboxAnswered(root) {
    if (!root.matches || !root.matches("[data-answered]")) return;
    var status = document.getElementById("live-status");
    var said = root.querySelector(".answered");
    if (status && said) status.textContent = said.textContent.trim();
    var rows = Array.prototype.slice.call(document.querySelectorAll("#awaiting .inbox-item:not([data-answered]), #awaiting [data-answered]"));
    var index = rows.indexOf(root);
    var next = rows.slice(index + 1).concat(rows.slice(0, index).reverse()).filter(function (row) {
      return !row.hasAttribute("data-answered");
    })[0];
    var target = next ? next.querySelector("[data-inbox-lead]") : root.querySelector("a");
    if (target) {
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "nearest" });
    }
  }

  function init(root) {
    focusFirstError(root);
    wireConfirm(root);
    focusableScrollers();
    wireSelectPage(root);
    updateBulkBar();
    inboxAnswered(root);
  }

  window.addEventListener("resize", focusableScrollers);

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
