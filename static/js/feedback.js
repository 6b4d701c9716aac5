// The feedback queue from the keyboard: j/k move between items, Enter opens one; on an item,
// r starts a reply, e jumps to the resolution, n opens the next item. Keys typed into a field
// are left alone. The resolve form shows only the part its chosen resolution needs.
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function queueLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-feedback-row] a.item-link"));
  }

  function move(step) {
    var links = queueLinks();
    if (!links.length) return;
    var index = links.indexOf(document.activeElement);
    var next = index < 0 ? 0 : Math.min(links.length - 1, Math.max(0, index + step));
    links[next].focus();
    links.forEach(function (link, i) {
      link.closest("tr").classList.toggle("is-current", i === next);
    });
  }

  function focusReply() {
    var field = document.querySelector("[data-feedback-reply]");
    if (field) field.focus();
  }

  function focusResolve() {
    var first = document.querySelector("[data-resolve-form] input[name='resolution']");
    if (first) {
      first.focus();
      first.scrollIntoView({ block: "center" });
    }
  }

  function openNext() {
    var next = document.querySelector("[data-feedback-next]");
    if (next) window.location.href = next.href;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    var handlers = { j: function () { move(1); }, k: function () { move(-1); }, r: focusReply, e: focusResolve, n: openNext };
    var handler = handlers[event.key];
    if (handler) {
      event.preventDefault();
      handler();
    }
  });

  // Open the matching details of the resolve form when a resolution is chosen.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-resolve-form] input[name='resolution']")) return;
    input.form.querySelectorAll(".resolve-part").forEach(function (part) {
      part.open = part.dataset.for === input.value;
    });
  });
})();
