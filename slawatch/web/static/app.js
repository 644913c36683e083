// Live refresh without a full reload: poll the page's small JSON status endpoint
// (body[data-live]) and update states and percentages in place with textContent only.
"use strict";
(function () {
  var url = document.body.getAttribute("data-live");
  if (!url || !window.fetch) { return; }
  var INTERVAL_MS = 1000 * (parseFloat(document.body.getAttribute("data-live-interval")) || 30);
  var STATES = ["up", "degraded", "down", "maintenance", "unknown"];
  var note = document.getElementById("live-status");

  function setState(el, state, label) {
    STATES.forEach(function (s) { el.classList.remove("state-" + s); });
    el.classList.add("state-" + state);
    el.textContent = label;
  }

  function apply(data) {
    (data.sites || []).forEach(function (site) {
      var box = document.querySelector('[data-site="' + CSS.escape(site.id) + '"]');
      if (!box) { return; }
      var state = box.querySelector('[data-field="state"]');
      if (state) { setState(state, site.state, site.state_label); }
      var availability = box.querySelector('[data-field="availability"]');
      if (availability) { availability.textContent = site.availability_text; }
      var met = box.querySelector('[data-field="met"]');
      if (met) {
        met.textContent = site.met_text;
        met.className = "met met-" + site.met_text;
      }
      var ongoing = box.querySelector('[data-field="ongoing"]');
      if (ongoing) {
        ongoing.textContent = site.includes_ongoing_outage ? "(so far, with the ongoing outage)" : "";
      }
    });
    (data.regions || []).forEach(function (region) {
      var row = document.querySelector('[data-region="' + CSS.escape(region.region) + '"]');
      var cell = row && row.querySelector('[data-field="outcome"]');
      if (cell) { setState(cell, region.outcome, region.outcome); }
    });
    if (note) { note.textContent = "Updated " + data.generated_at.replace("T", " ").slice(0, 19) + " UTC."; }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(apply)
      .catch(function () { if (note) { note.textContent = "Live updates paused (connection lost)."; } })
      .then(function () { window.setTimeout(poll, INTERVAL_MS); });
  }
  window.setTimeout(poll, INTERVAL_MS);
})();
