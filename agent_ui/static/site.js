// What every page shares: a 422 answer to an htmx form marks the fields it names.
"use strict";
(() => {
  const clear = (form) => {
    form.querySelectorAll("[aria-invalid=true]").forEach((field) => field.removeAttribute("aria-invalid"));
    form.querySelectorAll(".field-error").forEach((note) => note.remove());
  };

  const mark = (form, errors) => {
    for (const error of errors) {
      const name = String(error.field || "").split(".").pop();
      const field = name && form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (!field) continue;
      field.setAttribute("aria-invalid", "true");
      const note = document.createElement("p");
      note.className = "field-error";
      note.id = `${form.id || "form"}-${name}-error`;
      note.textContent = error.message;
      field.setAttribute("aria-describedby", note.id);
      (field.closest("label") || field).after(note);
    }
  };

  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt.closest("form");
    if (form) clear(form);
  });

  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    const form = event.detail.elt.closest("form");
    if (!form || xhr.status !== 422) return;
    try {
      mark(form, JSON.parse(xhr.responseText).errors || []);
    } catch (_) {
      // Not JSON: nothing names a field.
    }
  });
})();
