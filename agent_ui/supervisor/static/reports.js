// Report charts: offered calls and service level per interval, one uPlot chart per queue.
(function () {
  "use strict";
  const holder = document.getElementById("charts");
  const data = JSON.parse(document.getElementById("chart-data").textContent || "{}");
  if (!holder || typeof uPlot === "undefined") return;
  for (const [queue, series] of Object.entries(data)) {
    const box = document.createElement("div");
    box.className = "sv-chart";
    box.dataset.testid = "chart-" + queue;
    holder.append(box);
    const level = series.service_level.map((v) => (v === null ? null : v * 100));
    new uPlot({
      title: queue,
      width: Math.min(900, holder.clientWidth || 900),
      height: 240,
      series: [
        {},
        { label: "offered", stroke: "#3465a4", scale: "calls" },
        { label: "service level %", stroke: "#4e9a06", scale: "%", spanGaps: false },
      ],
      axes: [{}, { scale: "calls" }, { scale: "%", side: 1, grid: { show: false } }],
      scales: { "%": { range: [0, 100] } },
    }, [series.t, series.offered, level], box);
  }
})();
