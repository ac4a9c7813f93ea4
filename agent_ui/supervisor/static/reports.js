// Report charts: offered calls and service level per interval, one uPlot chart per queue.
(function () {
  "use strict";
  const holder = document.getElementById("charts");
  const data = JSON.parse(document.getElementById("chart-data").textContent || "{}");
  if (!holder || typeof uPlot === "undefined") return;
  // Times on the site's clock (CALLCENTER_TIME_ZONE), whatever the browser's zone.
  const zone = holder.dataset.zone || "UTC";
  const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), zone);
  for (const [queue, series] of Object.entries(data)) {
    const box = document.createElement("div");
    box.className = "sv-chart";
    box.dataset.testid = "chart-" + queue;
    holder.append(box);
    const level = series.service_level.map((v) => (v === null ? null : v * 100));
    box.uplot = new uPlot({
      title: queue,
      width: Math.min(900, holder.clientWidth || 900),
      height: 240,
      tzDate: tzDate,
      series: [
        {},
        // Steps, not slopes: a count holds for its whole interval.
        { label: "offered", stroke: "#3465a4", fill: "#3465a433", scale: "calls",
          paths: uPlot.paths.stepped({ align: 1 }) },
        // Points as well as lines: an interval between two empty ones has no line to draw.
        { label: "service level %", stroke: "#4e9a06", scale: "%", spanGaps: false,
          points: { show: true, size: 6 } },
      ],
      axes: [{}, { scale: "calls" }, { scale: "%", side: 1, grid: { show: false } }],
      scales: { "%": { range: [0, 100] }, calls: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
    }, [series.t, series.offered, level], box); // box.uplot: the page's tests read the plot
  }
})();
