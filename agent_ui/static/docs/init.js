// The API's interactive docs, from this site's own copy of Swagger UI (no CDN, no inline script).
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    // No deep links: each would be a link inside the operation's toggle button, a control
    // nested in a control that screen readers cannot reach.
    deepLinking: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
