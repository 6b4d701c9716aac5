// The live channel: the caller's events from GET /api/events/ (Server-Sent Events) refresh the
// rep's inbox and the bell in place. When the stream is down the same pieces are fetched every
// POLL_MS instead, quietly: the page works the same, a little later.
(function () {
  "use strict";

  var POLL_MS = parseInt(document.body.dataset.livePollMs, 10) || 15000;
  var url = document.body.dataset.liveUrl;
  if (!url) return;

  var pollTimer = null;
  var pendingHandoff = false;

  function fire(name) {
    document.body.dispatchEvent(new CustomEvent(name, { bubbles: true }));
  }

  function awaitingBusy() {
    // A rep halfway through a reject reason keeps their form: the refresh waits until it closes.
    var section = document.getElementById("awaiting");
    return !!(section && section.querySelector("details[open]"));
  }

  function refreshInbox() {
    if (!document.getElementById("awaiting")) return;
    if (awaitingBusy()) {
      pendingHandoff = true;
      return;
    }
    pendingHandoff = false;
    fire("live:handoff");
  }

  document.addEventListener(
    "toggle",
    function (event) {
      if (pendingHandoff && event.target.tagName === "DETAILS" && !event.target.open) refreshInbox();
    },
    true
  );

  function announce(text) {
    var status = document.getElementById("live-status");
    if (status) status.textContent = text;
  }

  function desktop(data) {
    if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
    var notice = new Notification("New lead for you", { body: data.message || "", tag: "lead-" + data.lead });
    notice.addEventListener("click", function () {
      window.focus();
      if (data.url) window.location.href = data.url;
    });
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = window.setInterval(function () {
      if (document.hidden) return;
      refreshInbox();
      fire("live:notification");
    }, POLL_MS);
  }

  function stopPolling() {
    if (!pollTimer) return;
    window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (error) {
      return {};
    }
  }

  function connect() {
    if (!("EventSource" in window)) {
      startPolling();
      return;
    }
    var source = new EventSource(url);
    document.body.dataset.live = "connecting";
    source.addEventListener("open", function () {
      document.body.dataset.live = "open";
      stopPolling();
    });
    source.addEventListener("error", function () {
      // The browser reconnects by itself (resuming from the last event id); meanwhile, poll.
      document.body.dataset.live = "down";
      startPolling();
    });
    source.addEventListener("handoff", function (event) {
      var data = parse(event);
      refreshInbox();
      if (data.message) announce(data.message);
      desktop(data);
    });
    // An offer of yours moved on to the next rep: the inbox drops it.
    source.addEventListener("inbox", refreshInbox);
    source.addEventListener("notification", function () {
      fire("live:notification");
    });
  }

  // The rep may ask for a desktop notice of new leads; the button shows only where it can work.
  var ask = document.getElementById("desktop-notify");
  if (ask && "Notification" in window && Notification.permission === "default") {
    ask.hidden = false;
    ask.addEventListener("click", function () {
      Notification.requestPermission().then(function () {
        ask.hidden = true;
      });
    });
  }

  connect();
})();
