// Draws the dashboard's charts from the figures the page embeds in <script id="dashboard-data">.
// Every chart's numbers are also on the page as a table, so nothing depends on this script.
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
  var money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  var percent = function (share) {
    return share === null ? "–" : (share * 100).toFixed(1) + "%";
  };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = true;

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
  draw("chart-reasons", {
    data: {
      labels: reasons.map(function (r) {
        return r.label;
      }),
      datasets: [
        {
          type: "bar",
          label: "Rejections",
          data: reasons.map(function (r) {
            return r.count;
          }),
          backgroundColor: "#ef6c00",
          yAxisID: "y",
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
          yAxisID: "share",
          order: 1,
        },
      ],
    },
    options: {
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        share: {
          position: "right",
          min: 0,
          max: 100,
          grid: { drawOnChartArea: false },
          ticks: {
            callback: function (value) {
              return value + "%";
            },
          },
        },
      },
    },
  });
})();
