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
  let pending = null;
  const apply = (html) => {
    region.innerHTML = html;
    region.dataset.updatedAt = String(Date.now());
    region.dispatchEvent(new CustomEvent("live-update"));
  };
  // Someone typing in the region (a remote close's reason) keeps what they
  // typed: the update waits until they leave the field.
  region.addEventListener("focusout", () => {
    if (pending !== null) {
      const html = pending;
      pending = null;
      setTimeout(() => { if (!region.contains(document.activeElement)) apply(html); else pending = html; }, 0);
    }
  });
  source.addEventListener("update", (event) => {
    if (region.contains(document.activeElement) && document.activeElement !== document.body) {
      pending = event.data;
    } else {
      apply(event.data);
    }
  });
  source.addEventListener("open", () => region.classList.remove("stale"));
  source.addEventListener("error", () => region.classList.add("stale"));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live]").forEach(live);
});
