// Agent and team report charts (uPlot): answered per interval stacked by agent, AHT and
// occupancy per agent over the intervals, and everyone's hours by state, stacked.
(function () {
  "use strict";
  const holder = document.getElementById("agent-charts");
  const source = document.getElementById("agent-chart-data");
  if (!holder || !source || typeof uPlot === "undefined") return;
  const data = JSON.parse(source.textContent || "{}");
  if (!data.t || !data.t.length) return;

  const COLOURS = ["#3465a4", "#cc0000", "#4e9a06", "#f57900", "#75507b", "#c4a000",
    "#06989a", "#8f5902", "#ef2929", "#729fcf", "#73d216", "#ad7fa8"];
  const colour = (i) => COLOURS[i % COLOURS.length];
  const width = () => Math.min(900, holder.clientWidth || 900);
  const who = data.by === "team" ? "team" : "agent";
  // Times on the site's clock (CALLCENTER_TIME_ZONE), whatever the browser's zone.
  const zone = holder.dataset.zone || "UTC";
  const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), zone);

  function chart(id, title, series, columns, options) {
    const box = document.createElement("div");
    box.className = "sv-chart";
    box.dataset.testid = id;
    holder.append(box);
    const scale = series.length ? series[0].scale : "y";
    const plot = new uPlot(Object.assign({ title: title, width: width(), height: 260, tzDate: tzDate,
      series: [{}].concat(series), axes: [{}, { scale: scale }] }, options || {}),
    [data.t].concat(columns), box);
    box.uplot = plot; // for the page's tests: the plotted series are readable
    return plot;
  }

  // Stacked areas: each band is drawn from the running total below it; the legend shows
  // each band's own value, not the running total.
  function stacked(id, title, names, rows, scale) {
    const totals = [];
    let below = data.t.map(() => 0);
    rows.forEach((row) => {
      below = below.map((sum, i) => sum + (row[i] || 0));
      totals.push(below);
    });
    // Steps, not slopes: a value holds for its whole interval.
    const steps = uPlot.paths.stepped({ align: 1 });
    const series = names.map((name, k) => ({
      label: name, stroke: colour(k), fill: colour(k) + "55", scale: scale, paths: steps,
      value: (u, v, si, i) => (i == null ? "--" : String(Math.round(rows[k][i] * 100) / 100)),
    }));
    const bands = names.slice(1).map((_, k) => ({ series: [k + 2, k + 1], fill: colour(k + 1) + "55" }));
    series.forEach((s, k) => { if (k > 0) delete s.fill; });
    return chart(id, title, series, totals, { bands: bands, scales: { [scale]: { range: (u, lo, hi) => [0, Math.max(1, hi)] } } });
  }

  const names = data.series.map((s) => s.name);
  stacked("chart-answered", "Answered per interval, by " + who, names,
    data.series.map((s) => s.answered), "calls");
  chart("chart-aht", "AHT per " + who + " (s)",
    data.series.map((s, k) => ({ label: s.name, stroke: colour(k), scale: "s", spanGaps: false, points: { show: true, size: 6 } })),
    data.series.map((s) => s.aht_s));
  chart("chart-occupancy", "Occupancy per " + who + " (%)",
    data.series.map((s, k) => ({ label: s.name, stroke: colour(k), scale: "%", spanGaps: false, points: { show: true, size: 6 } })),
    data.series.map((s) => s.occupancy.map((v) => (v === null ? null : v * 100))),
    { scales: { "%": { range: [0, 100] } } });
  stacked("chart-hours", "Agent hours by state", data.hours.map((h) => h.state),
    data.hours.map((h) => h.hours), "h");
})();
