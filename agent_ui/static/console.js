// The console's live half: one websocket, numbered frames, acks, resume after reconnect.
(function () {
  "use strict";
  const body = document.body;
  const agent = body.dataset.agent;
  const viewing = body.dataset.viewing;
  const draftKey = "callcenter.draft." + agent + ".";
  // The last frame this page showed: a reconnect resumes after it. A page just loaded shows
  // nothing yet, so it starts from the server's snapshot (a reload, a second tab).
  let lastSeq = null;
  let socket = null;
  let retry = 250;
  let stateSince = null;
  let wrapUntil = null;
  let call = null;
  let popSeq = null; // the pop on screen: its card frame names it
  let formsFor = null; // the call (Linkedid) the after-call forms are written for
  let formCall = null; // that call: what the forms attach their work to

  const $ = (id) => document.getElementById(id);

  function remember(seq) {
    lastSeq = String(seq);
  }

  function showLink(text) {
    $("link").textContent = text;
  }

  function showPop(html) {
    const pop = $("pop");
    pop.innerHTML = html; // rendered and escaped by the server's templates
    if (window.htmx) window.htmx.process(pop);
  }

  // The customer card follows its pop in a frame of its own; it fills the pop it names,
  // never a later one (the next call may already be ringing).
  function showCard(frame) {
    if (popSeq === null || frame.pop !== popSeq) return;
    const slot = document.querySelector("#pop .pop-card");
    if (!slot) return;
    slot.innerHTML = frame.html; // rendered and escaped by the server's templates
    if (window.htmx) window.htmx.process(slot);
    if (call && frame.call && call.linkedid === frame.call.linkedid) {
      call.customer_id = frame.call.customer_id;
      fillCall();
    }
  }

  // Each call starts with clean forms; what is typed is kept per call in the tab's session
  // storage, so a reload of the same call brings the draft back and the next call never
  // sees it.
  function workForms() {
    return Array.from(document.querySelectorAll(".work-panel form"));
  }

  function fields(form) {
    return Array.from(form.elements).filter((el) => el.name && el.type !== "hidden" && el.type !== "submit");
  }

  function saveDraft() {
    if (!formsFor) return;
    const draft = {};
    workForms().forEach((form) => {
      const values = {};
      fields(form).forEach((el) => { values[el.name] = el.value; });
      draft[form.id] = values;
    });
    try { sessionStorage.setItem(draftKey + formsFor, JSON.stringify(draft)); } catch (e) { /* full */ }
  }

  function restoreDraft(linkedid) {
    let draft = null;
    try { draft = JSON.parse(sessionStorage.getItem(draftKey + linkedid) || "null"); } catch (e) { draft = null; }
    if (!draft) return;
    workForms().forEach((form) => {
      const values = draft[form.id] || {};
      fields(form).forEach((el) => {
        if (el.name in values) {
          el.value = values[el.name];
          delete el.dataset.auto;
        }
      });
    });
  }

  function formsForCall(next) {
    const linkedid = next ? next.linkedid : null;
    if (next) formCall = next;
    if (!linkedid || linkedid === formsFor) return;
    formsFor = linkedid;
    workForms().forEach((form) => form.reset());
    document.querySelectorAll(".call-number").forEach((el) => { el.value = ""; delete el.dataset.auto; });
    const kb = $("kb-results");
    if (kb) kb.replaceChildren();
    $("notice").replaceChildren(); // "Hung up." belongs to the previous call
    restoreDraft(linkedid);
  }

  function fillCall() {
    formsForCall(call);
    const shown = call || formCall;
    const linkedid = shown ? shown.linkedid : "";
    const customer = shown && shown.customer_id ? String(shown.customer_id) : "";
    const number = shown && shown.caller_number ? shown.caller_number : "";
    const open = $("ticket-open");
    if (open) open.textContent = shown ? "Open ticket for this call" : "Open ticket (no call)";
    document.querySelectorAll(".call-linkedid").forEach((el) => { el.value = linkedid; });
    document.querySelectorAll(".call-customer").forEach((el) => { el.value = customer; });
    document.querySelectorAll(".call-number").forEach((el) => { if (!el.value || el.dataset.auto) { el.value = number; el.dataset.auto = "1"; } });
  }

  const STATE_LABELS = {
    logged_out: "Logged out",
    available: "Available",
    ringing: "Ringing",
    on_call: "On call",
    wrap_up: "Wrap-up",
    paused: "Paused",
  };

  function showState(frame) {
    $("state").textContent = STATE_LABELS[frame.state] || frame.state;
    $("state").dataset.state = frame.state;
    const label = STATE_LABELS[frame.state] || frame.state;
    // "Wrap-up (Wrap-up)": a reason that only repeats the state says nothing.
    const reason = frame.reason && frame.reason.toLowerCase() !== label.toLowerCase() ? frame.reason : "";
    $("reason").textContent = reason ? "(" + reason + ")" : "";
    document.body.dataset.state = frame.state;
    queueNames = frame.queues || [];
    if (frame.waiting) showWaiting(frame.waiting);
    showQueues();
    stateSince = frame.since ? Date.parse(frame.since) : null;
    wrapUntil = frame.wrap_up_until ? Date.parse(frame.wrap_up_until) : null;
    $("wrap-up").hidden = !wrapUntil;
    if ("call" in frame) {
      call = frame.call;
      if (!call) { popSeq = null; showPop('<p class="muted">No call.</p>'); }
      fillCall();
    }
    enableButtons();
    tick();
  }

  // A button that cannot work now is off: no call to hang up or transfer, no wrap-up to end.
  function enableButtons() {
    const state = $("state").dataset.state;
    const live = Boolean(call && !call.ended_at);
    document.querySelectorAll(".needs-call").forEach((el) => { el.disabled = !live; });
    // Hold, resume and the consultation's two ends, each only when the PBX can do it.
    const talking = live && Boolean(call.answered_at);
    const consulting = talking && Boolean(call.consulting);
    document.querySelectorAll(".needs-talk").forEach((el) => { el.disabled = !talking || call.held || consulting; });
    document.querySelectorAll(".needs-held").forEach((el) => { el.disabled = !talking || !call.held || consulting; });
    document.querySelectorAll(".needs-consult").forEach((el) => { el.disabled = !consulting; });
    const status = $("call-status");
    if (status) {
      status.textContent = consulting ? "consulting " + call.consulting + " (caller on hold)" : talking && call.held ? "caller on hold" : "";
    }
    const done = $("wrap-done");
    if (done) done.disabled = state !== "wrap_up";
    const available = $("available");
    if (available) available.disabled = state === "ringing" || state === "on_call";
  }

  // The agent's queues, each with the callers waiting and the longest wait (running).
  let queueNames = [];
  let waiting = {};

  function showWaiting(rows) {
    waiting = {};
    rows.forEach((row) => { waiting[row.queue] = row; });
  }

  function showQueues() {
    const parts = queueNames.map((name) => {
      const row = waiting[name];
      if (!row || !row.callers) return name;
      let text = name + " (" + row.callers + " waiting";
      const since = row.oldest ? Date.parse(row.oldest) : NaN;
      if (!isNaN(since)) text += ", longest " + clock(Date.now() - since);
      return text + ")";
    });
    $("queues").textContent = parts.join(", ");
    $("queues").classList.toggle("callers-waiting", parts.some((p, i) => waiting[queueNames[i]] && waiting[queueNames[i]].callers));
  }

  function clock(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function tick() {
    if (stateSince) $("in-state").textContent = clock(Date.now() - stateSince);
    // The call's own clock, from when the PBX says it was answered (or rang): right after
    // a reload too.
    const timer = $("call-time");
    if (timer) {
      const start = call ? Date.parse(call.answered_at || call.rang_at) : NaN;
      const end = call && call.ended_at ? Date.parse(call.ended_at) : Date.now();
      timer.textContent = isNaN(start) ? "" : "call " + clock(end - start);
    }
    if (wrapUntil) $("wrap-left").textContent = clock(wrapUntil - Date.now());
    showQueues();
  }

  // What a supervisor did to this agent (a pause, a sign-out) and why, until the agent acts.
  function showSupervised(message) {
    const line = $("supervised");
    if (!line) return;
    line.textContent = message || "";
    line.hidden = !message;
  }

  // The campaign lead on screen: the server renders it (card, script, buttons, the
  // disposition form); campaign.js keeps its clocks and the call-back time.
  function showCampaign(shown) {
    const slot = $("campaign-lead");
    if (!slot || !shown || typeof shown.html !== "string") return;
    slot.innerHTML = shown.html; // rendered and escaped by the server's templates
    if (window.htmx) window.htmx.process(slot);
    const panel = $("campaign-panel");
    if (panel) panel.hidden = false;
    document.dispatchEvent(new CustomEvent("campaign-shown", { detail: shown }));
  }

  function handle(frame) {
    switch (frame.type) {
      case "hello":
        if (frame.snapshot) {
          if (frame.snapshot.campaign) showCampaign(frame.snapshot.campaign);
          showState(frame.snapshot);
          popSeq = frame.snapshot.pop_seq ?? null;
          if (frame.snapshot.pop_html) showPop(frame.snapshot.pop_html);
          remember(frame.seq);
        }
        break;
      case "pop":
        call = frame.call;
        popSeq = frame.seq;
        showPop(frame.html);
        fillCall();
        enableButtons();
        break;
      case "card":
        showCard(frame);
        break;
      case "campaign":
        showCampaign(frame);
        break;
      case "answered":
        if (call && frame.call && call.linkedid === frame.call.linkedid) {
          Object.assign(call, frame.call);
        } else {
          call = frame.call;
        }
        fillCall();
        break;
      case "missed":
        if (call && call.linkedid === frame.linkedid) {
          call = null;
          popSeq = null;
          showPop('<p class="muted">Missed call.</p>');
          fillCall();
        }
        break;
      case "call":
        if (call && frame.call && call.linkedid === frame.call.linkedid) {
          Object.assign(call, frame.call);
          fillCall();
        }
        break;
      case "state":
        showState(frame);
        break;
      case "supervised":
        showSupervised(frame.message);
        break;
      case "waiting":
        showWaiting(frame.waiting || []);
        showQueues();
        break;
    }
  }

  function connect() {
    const query = new URLSearchParams();
    if (lastSeq !== null) query.set("since", lastSeq);
    if (viewing) query.set("agent", viewing);
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/console?" + query.toString());
    socket.onopen = () => { retry = 250; showLink("live"); };
    socket.onmessage = (message) => {
      const frame = JSON.parse(message.data);
      handle(frame);
      enableButtons();
      if (frame.seq && frame.type !== "hello") {
        remember(frame.seq);
        socket.send(JSON.stringify({ ack: frame.seq }));
      }
    };
    socket.onclose = (event) => {
      if (event.code === 4401) { location.href = "/signin"; return; }
      showLink("reconnecting…");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }

  document.body.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (event.detail.successful && form && form.closest && form.closest(".state-panel")) showSupervised("");
    if (event.detail.successful && form && form.id === "ticket-form") {
      form.reset(); // opened: the same text again would be a second ticket
      fillCall();
      saveDraft();
    }
    if (event.detail.failed && event.detail.xhr) {
      let text = event.detail.xhr.statusText;
      try { text = JSON.parse(event.detail.xhr.responseText).detail || text; } catch (e) { /* not JSON */ }
      const p = document.createElement("p");
      p.className = "notice error";
      p.textContent = text;
      $("notice").replaceChildren(p);
    }
  });
  // datetime-local carries no zone: send the browser's UTC offset at that very time (summer
  // and winter time differ) so the server stores the moment the agent meant.
  function noteOffset(event) {
    const due = event.target;
    if (!(due instanceof HTMLInputElement) || !due.classList.contains("due-local")) return;
    const offset = due.form && due.form.querySelector(".due-offset");
    if (!offset) return;
    const when = new Date(due.value);
    offset.value = due.value && !isNaN(when) ? String(-when.getTimezoneOffset()) : "";
  }
  document.body.addEventListener("input", noteOffset);
  document.body.addEventListener("input", (event) => {
    if (event.target.closest && event.target.closest(".work-panel")) saveDraft();
  });
  document.body.addEventListener("change", (event) => {
    if (event.target.closest && event.target.closest(".work-panel")) saveDraft();
  });
  document.body.addEventListener("change", noteOffset);
  // Answer-side shortcuts (listed on the page): Alt+A available, Alt+P pause, Alt+W wrap-up
  // done, Alt+S save the notes (on a campaign call, the lead's disposition). A button that is
  // off stays off.
  const SHORTCUTS = { KeyA: "available", KeyP: "pause", KeyW: "wrapup-done", KeyS: "notes-save" };
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const testid = SHORTCUTS[event.code];
    if (!testid) return;
    const button =
      (testid === "notes-save" && document.querySelector('[data-testid="disposition-save"]')) ||
      document.querySelector('[data-testid="' + testid + '"]');
    if (!button) return;
    event.preventDefault();
    if (!button.disabled) button.click();
  });
  setInterval(tick, 1000);
  enableButtons();
  connect();
})();
