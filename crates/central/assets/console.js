// Nexus POS headquarters console: the little the pages need beyond HTML.
// No inline scripts (the Content-Security-Policy forbids them).
"use strict";

// Forms that destroy or revoke something ask first.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.classList.contains("confirm")) {
    if (!window.confirm(form.dataset.confirm || "¿Seguro?")) event.preventDefault();
  }
});

// A region with data-live="<url>" is replaced by the HTML fragment each
// server-sent event carries; the browser reconnects by itself.
function live(region) {
  const source = new EventSource(region.dataset.live);
  source.addEventListener("update", (event) => {
    region.innerHTML = event.data;
    region.dataset.updatedAt = String(Date.now());
    region.dispatchEvent(new CustomEvent("live-update"));
  });
  source.addEventListener("open", () => region.classList.remove("stale"));
  source.addEventListener("error", () => region.classList.add("stale"));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live]").forEach(live);
});
