// Draws the score model page's reliability diagram and learning curve from <script id="scoring-data">.
// Both are also tables on the page, so nothing depends on this script.
(function () {
  "use strict";

  var source = document.getElementById("scoring-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;

  var reliability = document.getElementById("chart-reliability");
  if (reliability && data.reliability.length) {
    new Chart(reliability, {
      type: "scatter",
      data: {
        datasets: [
          {
            label: "Observed good share",
            data: data.reliability.map(function (b) { return { x: b.predicted, y: b.observed }; }),
            pointRadius: data.reliability.map(function (b) { return Math.max(3, Math.min(12, Math.sqrt(b.count))); }),
          },
          { label: "Perfect calibration", type: "line", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], pointRadius: 0, borderDash: [4, 4] },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          x: { min: 0, max: 1, title: { display: true, text: "Predicted" } },
          y: { min: 0, max: 1, title: { display: true, text: "Observed" } },
        },
      },
    });
  }

  var learning = document.getElementById("chart-learning");
  if (learning && data.learning_curve.length) {
    new Chart(learning, {
      type: "line",
      data: {
        labels: data.learning_curve.map(function (p) { return String(p.verdicts); }),
        datasets: [
          { label: "AUC", data: data.learning_curve.map(function (p) { return p.auc; }), yAxisID: "y" },
          { label: "Calibration error", data: data.learning_curve.map(function (p) { return p.calibration_error; }), yAxisID: "y2" },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: "Verdicts learned from" } },
          y: { min: 0.4, max: 1, title: { display: true, text: "AUC" } },
          y2: { position: "right", min: 0, title: { display: true, text: "Calibration error" }, grid: { drawOnChartArea: false } },
        },
      },
    });
  }
})();
