/* Metric history as line charts (uPlot): one chart per metric, step on the x axis. */
(function () {
  "use strict";

  var dataElement = document.getElementById("history-data");
  var container = document.getElementById("charts");
  if (!dataElement || !container || typeof uPlot === "undefined") {
    return;
  }
  var history = JSON.parse(dataElement.textContent);

  history.series.forEach(function (series) {
    var figure = document.createElement("figure");
    figure.className = "chart";
    figure.dataset.metric = series.name;
    var caption = document.createElement("figcaption");
    caption.textContent = series.name;
    figure.appendChild(caption);
    container.appendChild(figure);
    new uPlot({
      width: Math.max(260, figure.clientWidth - 16),
      height: 200,
      legend: { show: true },
      scales: { x: { time: false } },
      axes: [{ label: "step" }, {}],
      series: [
        { label: "step" },
        { label: series.name, stroke: "#2f62c4", width: 1.5, spanGaps: true, points: { show: false } }
      ]
    }, [history.steps, series.values], figure);
  });
  container.dataset.ready = "yes";
})();
