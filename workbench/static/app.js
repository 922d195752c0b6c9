// The workbench's only script: new alerts appear without a reload (the queue polls its own
// rows), the outbox badge stays current, a running backtest's page reloads. No build step.
"use strict";

function poll(url, ms, onData) {
  const tick = () => fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
    .then(r => r.ok ? r.json() : Promise.reject(r.status))
    .then(onData)
    .catch(() => {})
    .finally(() => setTimeout(tick, ms));
  setTimeout(tick, ms);
}

document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (live) {
    let newest = live.dataset.newest;
    poll(live.dataset.url, Number(live.dataset.poll) || 5000, data => {
      const rows = document.getElementById("queue-rows");
      if (rows.innerHTML.trim() !== data.html.trim()) rows.innerHTML = data.html;
      document.getElementById("queue-count").textContent = `${data.total} of ${data.open_total} open alerts`;
      if (data.newest_ms && String(data.newest_ms) !== newest) {
        newest = String(data.newest_ms);
        live.textContent = "updated " + new Date().toISOString().slice(11, 19) + " UTC: new assessments";
      }
    });
  }
  const outbox = document.getElementById("outbox");
  if (outbox) {
    poll(outbox.dataset.url, 5000, data => {
      outbox.classList.toggle("queued", data.pending > 0);
      outbox.textContent = data.pending
        ? `${data.pending} control result(s) queued` + (data.last_error ? `: ${data.last_error}` : "")
        : "outbox empty";
    });
  }
  const reload = document.querySelector("[data-reload]");
  if (reload) setTimeout(() => location.reload(), Number(reload.dataset.reload) || 5000);
});
