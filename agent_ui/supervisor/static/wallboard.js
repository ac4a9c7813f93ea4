// The wallboard: renders each snapshot the server pushes; ages waits and states locally.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let latest = null;
  let retry = 500;
  let lostAt = null;

  function pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(0) + "%"; }
  function secs(v) {
    if (v === null || v === undefined) return "–";
    const s = Math.max(0, Math.round(v));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function since(iso) { return iso ? (Date.now() - Date.parse(iso)) / 1000 : null; }
  function el(tag, cls, text, testid) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    if (testid) node.dataset.testid = testid;
    return node;
  }
  function stat(label, value, testid, cls) {
    const box = el("div", "wb-stat " + (cls || ""));
    box.append(el("span", "wb-value", value, testid), el("span", "wb-label", label));
    return box;
  }
  // Where a queue's service-level threshold comes from (kpi.thresholds).
  const SOURCES = { queue: "queue", pbx: "PBX", setting: "override", default: "default" };
  function threshold(q) {
    return "SL " + q.service_level_s + " s (" + (SOURCES[q.service_level_source] || q.service_level_source) + ")";
  }
  function levelClass(level, target) {
    if (level === null || level === undefined) return "wb-none";
    if (level >= target) return "wb-good";
    return level >= target - 0.1 ? "wb-warn" : "wb-bad";
  }

  // A queue tile's colour: the worse of today's service level and the longest current wait
  // (amber from half the threshold T, red once a caller has waited T: out of service level).
  const RANK = { "wb-none": 0, "wb-good": 1, "wb-warn": 2, "wb-bad": 3 };
  function waitClass(wait, t) {
    if (wait === null || !t) return "wb-none";
    if (wait >= t) return "wb-bad";
    return wait >= t / 2 ? "wb-warn" : "wb-good";
  }
  function paintTile(tile) {
    const wait = waitClass(since(tile.dataset.since), Number(tile.dataset.threshold));
    const level = tile.dataset.levelClass;
    const worst = RANK[wait] > RANK[level] ? wait : level;
    tile.className = "wb-tile wb-tile-" + worst.slice(3);
    tile.dataset.level = worst.slice(3);
  }

  function render(snap) {
    latest = snap;
    const queues = $("wb-queues");
    queues.replaceChildren();
    for (const [name, q] of Object.entries(snap.queues)) {
      const today = q.today;
      const tile = el("article", "wb-tile", undefined, "queue-" + name);
      tile.append(el("h2", "", name), el("p", "wb-threshold", threshold(q), "threshold-" + name));
      const grid = el("div", "wb-grid");
      grid.append(
        stat("waiting", String(q.waiting), "waiting-" + name),
        stat("longest wait", secs(since(q.oldest_waiting_since)), "longest-" + name, "wb-age"),
        stat("service level (" + pct(q.target) + " in " + q.service_level_s + "s)",
             pct(today.service_level), "sl-" + name, levelClass(today.service_level, q.target)),
        stat("abandoned", pct(today.abandon_rate), "abandon-" + name),
        stat("ASA", secs(today.asa_s), "asa-" + name),
        stat("AHT", secs(today.aht_s), "aht-" + name),
        stat("offered / answered", today.offered + " / " + today.answered, "offered-" + name),
        stat("last 15 min SL", pct(q.last_15m.service_level), "sl15-" + name),
        stat("available", String(q.agents.available), "available-" + name),
        stat("on call", String(q.agents.on_call + q.agents.ringing), "oncall-" + name),
        stat("wrap-up", String(q.agents.wrap_up), "wrapup-" + name),
        stat("paused", String(q.agents.paused), "paused-" + name),
      );
      tile.append(grid);
      tile.querySelector(".wb-age").dataset.since = q.oldest_waiting_since || "";
      tile.dataset.since = q.oldest_waiting_since || "";
      tile.dataset.threshold = String(q.service_level_s);
      tile.dataset.levelClass = levelClass(today.service_level, q.target);
      tile.title = "amber: service level under target or a caller waiting half of " + q.service_level_s +
        " s; red: far under target or a caller waiting " + q.service_level_s + " s or more";
      paintTile(tile);
      queues.append(tile);
    }
    renderCampaigns(snap.outbound || {});
    renderAgents(snap.agents);
    const alerts = $("wb-alerts");
    alerts.replaceChildren(...snap.alerts.map((a) => el("div", "wb-alert wb-alert-" + a.kind, a.message, "alert-" + a.kind)));
    $("wb-updated").textContent = "updated " + new Date(snap.at).toLocaleTimeString();
  }

  // Outbound campaigns today (kpi.outbound_board): the abandon rate against the campaign's
  // cap, amber from 80 % of it and red at it (the rolling 24 hours, the cap's own window).
  const CAP_CLASS = { none: "wb-none", good: "wb-good", warn: "wb-warn", bad: "wb-bad" };
  // Rates to compare with a cap of a few per cent: one decimal.
  function pct1(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; }
  function renderCampaigns(campaigns) {
    const holder = $("wb-campaigns");
    holder.replaceChildren();
    for (const [name, c] of Object.entries(campaigns)) {
      const rolling = CAP_CLASS[c.abandon_level] || "wb-none";
      const today = CAP_CLASS[c.abandon_level_today] || "wb-none";
      const level = RANK[today] > RANK[rolling] ? today : rolling;
      const tile = el("article", "wb-tile wb-campaign wb-tile-" + level.slice(3), undefined, "campaign-" + name);
      tile.dataset.level = level.slice(3);
      tile.title = "abandon rate: amber from 80 % of the cap (" + pct1(c.abandon_cap) + "), red at it";
      tile.append(el("h2", "", name), el("p", "wb-mode", c.mode + " · " + c.state, "campaign-mode-" + name));
      const grid = el("div", "wb-grid");
      grid.append(
        stat("dials", String(c.dials), "dials-" + name),
        stat("connects", String(c.connects), "connects-" + name),
        stat("contact rate", pct(c.contact_rate), "contact-" + name),
        stat("abandoned today (cap " + pct1(c.abandon_cap) + ")", pct1(c.abandon_rate), "abandon-today-" + name, today),
        stat("abandoned, last 24 h", pct1(c.abandon_rate_24h), "abandon24-" + name, rolling),
        stat("conversions", String(c.conversions), "conversions-" + name),
        stat("agents signed in", String(c.agents_signed_in), "campaign-agents-" + name),
        stat("leads left", c.leads_left + " / " + c.leads, "leads-left-" + name),
      );
      tile.append(grid);
      holder.append(tile);
    }
  }

  // The agent grid's order: by name, by state, or longest in state first. The choice lives in
  // the address (?sort=state, to share a view) and in localStorage (for the next visit).
  const SORTS = ["name", "state", "time"];
  const STATE_ORDER = ["ringing", "on_call", "wrap_up", "available", "paused", "logged_out"];
  const SORT_KEY = "callcenter.wallboard.sort";
  function storedSort() {
    try { return localStorage.getItem(SORT_KEY); } catch (e) { return null; }
  }
  let sortBy = [new URLSearchParams(location.search).get("sort"), storedSort()]
    .find((choice) => SORTS.includes(choice)) || "name";
  function displayName(a) { return a.name || a.agent; }
  function byName(a, b) { return displayName(a).localeCompare(displayName(b)) || a.agent.localeCompare(b.agent); }
  function inState(a) { return a.since ? Date.parse(a.since) : Infinity; }
  const ORDERS = {
    name: byName,
    state: (a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || byName(a, b),
    time: (a, b) => inState(a) - inState(b) || byName(a, b),
  };
  function chooseSort(choice) {
    sortBy = SORTS.includes(choice) ? choice : "name";
    try { localStorage.setItem(SORT_KEY, sortBy); } catch (e) { /* private mode */ }
    const url = new URL(location.href);
    url.searchParams.set("sort", sortBy);
    history.replaceState(null, "", url);
    if (latest) renderAgents(latest.agents);
  }
  // Who is on the line: the customer's name when known, else the caller's name or number.
  function caller(call) {
    if (!call) return "";
    const number = call.number || "unknown number";
    const who = call.customer || (call.name && call.name !== call.number ? call.name : "");
    return who ? who + " (" + number + ")" : number;
  }
  function renderAgents(agents) {
    const rows = $("wb-agents");
    rows.replaceChildren();
    for (const a of [...agents].sort(ORDERS[sortBy])) {
      const tr = el("tr", "wb-state-" + a.state, undefined, "agent-" + a.agent);
      const age = el("td", "wb-age-cell", secs(since(a.since)));
      age.dataset.since = a.since || "";
      const name = el("td", "", undefined, "name-" + a.agent);
      if (a.username) {
        const link = el("a", "wb-agent-link", displayName(a));
        link.href = "/supervisor/agents/" + encodeURIComponent(a.username);
        name.append(link);
      } else {
        name.textContent = displayName(a);
      }
      tr.append(name, el("td", "", a.state.replace("_", " "), "state-" + a.agent), age,
                el("td", "", a.reason || ""), el("td", "", caller(a.call), "caller-" + a.agent),
                el("td", "", a.call ? a.call.queue || "outbound" : "", "call-queue-" + a.agent),
                el("td", "", String(a.calls_today)), el("td", "", secs(a.aht_s)));
      rows.append(tr);
    }
  }
  const sortChoice = $("wb-sort");
  sortChoice.value = sortBy;
  sortChoice.addEventListener("change", () => chooseSort(sortChoice.value));

  // Waits and time in state grow every second without a new snapshot.
  setInterval(() => {
    document.querySelectorAll(".wb-tile").forEach(paintTile);
    document.querySelectorAll("td[data-since], .wb-age[data-since]").forEach((node) => {
      const value = node.classList.contains("wb-age") ? node.querySelector(".wb-value") : node;
      if (value) value.textContent = node.dataset.since ? secs(since(node.dataset.since)) : "–";
    });
  }, 1000);

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/wallboard");
    socket.onopen = () => {
      retry = 500;
      lostAt = null;
      $("wallboard").classList.remove("wb-stale");
      $("wb-link").textContent = "live";
      $("wb-link").className = "wb-link wb-live";
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "snapshot") render(data);
    };
    socket.onclose = (event) => {
      // The figures on screen are as old as the link's loss: grey them and say since when.
      lostAt = lostAt || new Date();
      $("wallboard").classList.add("wb-stale");
      $("wb-link").textContent = "connection lost since " + lostAt.toLocaleTimeString() +
        ": figures not live; reconnecting…";
      $("wb-link").className = "wb-link wb-down";
      if (event.code === 4401) { location.href = "/signin?next=/supervisor/wallboard"; return; }
      if (event.code === 4403) { $("wb-link").textContent = "not allowed"; return; }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }
  connect();
})();
