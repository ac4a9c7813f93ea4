// The agent page's actions: a refused or unconfirmed action says why beside the forms
// (site.js marks the fields of a 422); a done one clears its form.
"use strict";
(() => {
  const result = document.getElementById("action-result");
  document.addEventListener("htmx:responseError", (event) => {
    const form = event.detail.elt.closest("form.agent-action");
    if (!form || !result) return;
    let text = event.detail.xhr.statusText || "the action failed";
    try {
      text = JSON.parse(event.detail.xhr.responseText).detail || text;
    } catch (_) {
      // not JSON: keep the status text
    }
    const note = document.createElement("p");
    note.className = "notice error";
    note.setAttribute("role", "alert");
    note.textContent = "Not done: " + text;
    result.replaceChildren(note);
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt.closest("form.agent-action");
    if (form && event.detail.successful) {
      form.querySelectorAll("input[name=note]").forEach((input) => { input.value = ""; });
    }
  });
})();
