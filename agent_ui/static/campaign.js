// The campaign panel's live half: the lead's clock in their own time zone, and a call-back
// time typed on the lead's clock shown beside the agent's own.
(function () {
  "use strict";

  const FIELDS = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };

  // The wall-clock time of `zone` at `instant` (ms), as if it were UTC (ms).
  function wallOf(zone, instant) {
    const format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    const parts = Object.assign({}, FIELDS);
    format.formatToParts(new Date(instant)).forEach((part) => {
      if (part.type in parts) parts[part.type] = Number(part.value);
    });
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  }

  // The instant a datetime-local value means on `zone`'s clock; null when the clocks skip it.
  function instantOn(zone, value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!m) return undefined;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    let guess = wall - (wallOf(zone, wall) - wall);
    guess = wall - (wallOf(zone, guess) - guess);
    return wallOf(zone, guess) === wall ? guess : null;
  }

  function showLeadClocks() {
    document.querySelectorAll(".lead-clock[data-tz]").forEach((clock) => {
      try {
        clock.textContent = new Intl.DateTimeFormat(undefined, {
          timeZone: clock.dataset.tz, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
        }).format(new Date());
      } catch (e) { /* a zone this browser does not know: the server's time stays */ }
    });
  }

  function showAgentTime(input) {
    const form = input.form;
    const out = form && form.querySelector(".agent-time");
    if (!out) return;
    const instant = instantOn(input.dataset.tz, input.value);
    if (instant === undefined) { out.textContent = "–"; return; }
    if (instant === null) { out.textContent = "that time does not exist there (the clocks skip it)"; return; }
    out.textContent = new Date(instant).toLocaleString(undefined, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    });
    out.dataset.instant = new Date(instant).toISOString();
  }

  // A call-back disposition asks when; the others do not.
  function showCallbackFields(form) {
    const chosen = form.querySelector("input[name=code]:checked");
    const wanted = Boolean(chosen && chosen.dataset.callback === "yes");
    const when = form.querySelector(".callback-when");
    if (when) when.hidden = !wanted;
    const input = form.querySelector("input[name=callback_at]");
    if (input) input.required = wanted;
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    if (target.name === "code" && target.form && target.form.id === "campaign-disposition-form") {
      showCallbackFields(target.form);
    }
    if (target.classList.contains("lead-local")) showAgentTime(target);
  });
  document.addEventListener("input", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.classList.contains("lead-local")) showAgentTime(target);
  });
  // On a campaign call the lead's disposition form is the call's wrap-up: the inbound
  // disposition and callback forms step aside (a ticket and the knowledge base stay).
  function showInboundWrapUp() {
    const lead = document.querySelector("#campaign-lead [data-testid=campaign-lead]");
    const onCampaignCall = Boolean(lead && ["in_call", "wrap"].includes(lead.dataset.stage));
    ["notes-form", "callback-form"].forEach((id) => {
      const form = document.getElementById(id);
      if (!form) return;
      form.hidden = onCampaignCall;
      form.inert = onCampaignCall;
    });
  }

  document.addEventListener("campaign-shown", showLeadClocks);
  document.addEventListener("campaign-shown", showInboundWrapUp);
  showLeadClocks();
  showInboundWrapUp();
  setInterval(showLeadClocks, 15000);
})();
