// Draws the dashboard's charts from the figures the page embeds in <script id="dashboard-data">.
// Every chart's numbers are also on the page as a table, so nothing depends on this script.

// Switching the period type starts from the current period: "Month" after a quarter shows this
// month, not the quarter's first month. A custom range starts as the period on screen.
(function () {
  "use strict";

  var form = document.querySelector("form.dashboard-filters");
  if (!form) {
    return;
  }
  var period = form.elements.period;
  var start = form.elements.start;
  var end = form.elements.end;
  period.addEventListener("change", function () {
    if (period.value === "custom") {
      start.value = form.dataset.periodStart;
      end.value = form.dataset.periodEnd;
    } else {
      start.value = form.dataset.today;
      end.value = "";
    }
  });
})();

(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;
  var STEP_LABELS = {
    captured: "Captured",
    handed_off: "Handed off",
    accepted: "Accepted",
    qualified: "Qualified",
    won: "Won",
  };
  var money = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    style: "currency",
    currency: data.currency,
    maximumFractionDigits: 0,
  });
  var percent = function (share) {
    return share === null ? "–" : (share * 100).toFixed(1) + "%";
  };
  Chart.defaults.animation = false;
  // Each canvas sits in a .chart box whose CSS height the chart fills, so a narrow screen keeps a
  // readable plot area.
  Chart.defaults.maintainAspectRatio = false;
  var narrow = window.matchMedia("(max-width: 575px)");

  // A long category label split into lines of about `width` characters (Chart.js draws an array
  // as several lines), so labels wrap instead of being skipped.
  function wrapLabel(text, width) {
    var lines = [];
    var line = "";
    String(text)
      .split(/\s+/)
      .forEach(function (word) {
        if (line && (line + " " + word).length > width) {
          lines.push(line);
          line = word;
        } else {
          line = line ? line + " " + word : word;
        }
      });
    if (line) {
      lines.push(line);
    }
    return lines;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  function funnel(id, figures) {
    draw(id, {
      type: "bar",
      data: {
        labels: figures.steps.map(function (s) {
          return STEP_LABELS[s.step];
        }),
        datasets: [
          {
            label: "Leads",
            data: figures.steps.map(function (s) {
              return s.count;
            }),
            backgroundColor: "#1565c0",
          },
        ],
      },
      options: {
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              afterLabel: function (context) {
                var step = figures.steps[context.dataIndex];
                return step.conversion === null ? "" : "Conversion " + percent(step.conversion) + ", drop-off " + step.drop_off;
              },
            },
          },
        },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  funnel("chart-funnel", data.funnel);
  funnel("chart-cohort", data.cohort_funnel);

  var weeks = data.revenue_by_week;
  var weekly = [
    {
      type: "bar",
      label: "Won that week",
      data: weeks.map(function (w) {
        return w.revenue;
      }),
      backgroundColor: "#90caf9",
      order: 2,
    },
    {
      type: "line",
      label: "Won to date",
      data: weeks.map(function (w) {
        return w.cumulative;
      }),
      borderColor: "#2e7d32",
      backgroundColor: "#2e7d32",
      order: 1,
    },
  ];
  if (data.goal !== null) {
    weekly.push({
      type: "line",
      label: "Goal path (goal " + money.format(data.goal) + ")",
      data: weeks.map(function (w) {
        return w.goal_to_date;
      }),
      borderColor: "#c62828",
      borderDash: [6, 4],
      pointRadius: 0,
      order: 0,
    });
  }
  draw("chart-weekly", {
    data: {
      labels: weeks.map(function (w) {
        return w.week;
      }),
      datasets: weekly,
    },
    options: { scales: { y: { beginAtZero: true } } },
  });

  // The response-time curve: good share of the judged leads and won share of the answered ones, per
  // bucket, with the counts behind each bar under its label.
  var RESPONSE_LABELS = {
    within_5_minutes: "Within 5 min",
    within_1_hour: "5 min – 1 h",
    within_24_hours: "1 – 24 h",
    later: "Later",
  };
  var curve = (data.speed_to_lead && data.speed_to_lead.by_response) || [];
  draw("chart-speed-curve", {
    type: "bar",
    data: {
      labels: curve.map(function (b) {
        return [RESPONSE_LABELS[b.bucket] || b.bucket, b.good + " good of " + b.judged + " judged", b.won + " won of " + b.answered];
      }),
      datasets: [
        {
          label: "Good share",
          data: curve.map(function (b) {
            return b.good_share === null ? null : b.good_share * 100;
          }),
          backgroundColor: "#2e7d32",
        },
        {
          label: "Won share",
          data: curve.map(function (b) {
            return b.won_share === null ? null : b.won_share * 100;
          }),
          backgroundColor: "#1565c0",
        },
      ],
    },
    options: {
      scales: { y: { beginAtZero: true, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (context) {
              var b = curve[context.dataIndex];
              return context.datasetIndex === 0
                ? "Good " + percent(b.good_share) + " (" + b.good + " of " + b.judged + ")"
                : "Won " + percent(b.won_share) + " (" + b.won + " of " + b.answered + ")";
            },
          },
        },
      },
    },
  });

  var quality = data.quality_by_campaign;
  draw("chart-quality", {
    type: "bar",
    data: {
      labels: quality.map(function (q) {
        return q.campaign;
      }),
      datasets: [
        {
          label: "Good",
          data: quality.map(function (q) {
            return q.good;
          }),
          backgroundColor: "#2e7d32",
        },
        {
          label: "Bad",
          data: quality.map(function (q) {
            return q.bad;
          }),
          backgroundColor: "#c62828",
        },
      ],
    },
    options: {
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });

  var reasons = data.rejection_reasons;
  var reasonsChart = null;

  // A Pareto chart: vertical bars with the cumulative share on a right-hand axis on a wide screen;
  // on a phone, horizontal bars (one readable row per reason, the share on a top axis).
  function drawReasons() {
    var canvas = document.getElementById("chart-reasons");
    if (!canvas) {
      return;
    }
    if (reasonsChart) {
      reasonsChart.destroy();
    }
    var horizontal = narrow.matches;
    var box = canvas.parentElement;
    box.style.height = horizontal ? Math.max(300, reasons.length * 44 + 110) + "px" : "";
    var countAxis = { beginAtZero: true, ticks: { precision: 0 } };
    var shareAxis = {
      position: horizontal ? "top" : "right",
      min: 0,
      max: 100,
      grid: { drawOnChartArea: false },
      ticks: {
        callback: function (value) {
          return value + "%";
        },
      },
    };
    var labelAxis = { ticks: { autoSkip: false, maxRotation: horizontal ? 0 : 60 } };
    reasonsChart = new Chart(canvas, {
      data: {
        labels: reasons.map(function (r) {
          return wrapLabel(r.label, horizontal ? 16 : 12);
        }),
        datasets: [
          {
            type: "bar",
            label: "Rejections",
            data: reasons.map(function (r) {
              return r.count;
            }),
            backgroundColor: "#ef6c00",
            xAxisID: horizontal ? "x" : undefined,
            yAxisID: horizontal ? undefined : "y",
            order: 2,
          },
          {
            type: "line",
            label: "Cumulative share",
            data: reasons.map(function (r) {
              return r.cumulative_share * 100;
            }),
            borderColor: "#37474f",
            backgroundColor: "#37474f",
            xAxisID: horizontal ? "share" : undefined,
            yAxisID: horizontal ? undefined : "share",
            order: 1,
          },
        ],
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        scales: horizontal
          ? { y: labelAxis, x: countAxis, share: Object.assign({ axis: "x" }, shareAxis) }
          : { x: labelAxis, y: countAxis, share: Object.assign({ axis: "y" }, shareAxis) },
      },
    });
  }

  drawReasons();
  if (narrow.addEventListener) {
    narrow.addEventListener("change", drawReasons);
  }
})();
