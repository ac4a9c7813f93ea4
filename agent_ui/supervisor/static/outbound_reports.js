// Outbound report charts: dials and connects per interval, contact and abandon rates with
// the campaign's abandon cap, one uPlot chart per campaign.
(function () {
  "use strict";
  const holder = document.getElementById("outbound-charts");
  const data = JSON.parse(document.getElementById("outbound-chart-data").textContent || "{}");
  if (!holder || typeof uPlot === "undefined") return;
  // Times on the site's clock (CALLCENTER_TIME_ZONE), whatever the browser's zone.
  const zone = holder.dataset.zone || "UTC";
  const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), zone);
  const percent = (values) => values.map((v) => (v === null ? null : v * 100));
  for (const [campaign, series] of Object.entries(data)) {
    const box = document.createElement("div");
    box.className = "sv-chart";
    box.dataset.testid = "outbound-chart-" + campaign;
    holder.append(box);
    box.uplot = new uPlot({
      title: campaign,
      width: Math.min(900, holder.clientWidth || 900),
      height: 240,
      tzDate: tzDate,
      series: [
        {},
        // Steps, not slopes: a count holds for its whole interval.
        { label: "dials", stroke: "#3465a4", fill: "#3465a433", scale: "calls",
          paths: uPlot.paths.stepped({ align: 1 }) },
        { label: "connects", stroke: "#75507b", scale: "calls",
          paths: uPlot.paths.stepped({ align: 1 }) },
        // Points as well as lines: an interval between two empty ones has no line to draw.
        { label: "contact rate %", stroke: "#4e9a06", scale: "%", spanGaps: false,
          points: { show: true, size: 6 } },
        { label: "abandon rate %", stroke: "#cc0000", scale: "%", spanGaps: false,
          points: { show: true, size: 6 } },
        { label: "abandon cap %", stroke: "#cc0000", dash: [6, 4], scale: "%", points: { show: false } },
      ],
      axes: [{}, { scale: "calls" }, { scale: "%", side: 1, grid: { show: false } }],
      scales: { "%": { range: [0, 100] }, calls: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
    }, [series.t, series.dials, series.connects, percent(series.contact_rate),
        percent(series.abandon_rate), percent(series.abandon_cap)], box);
  }
})();
