// kurir dashboard: live regions. A page marks the parts that change as deliveries happen with
// data-live="name"; every two seconds (while the tab is visible) the page is fetched again and each region whose
// server-side HTML changed is replaced. Regions the viewer has not changed keep their open/closed details.
(function () {
  "use strict";
  var regions = document.querySelectorAll("[data-live]");
  if (!regions.length) return;
  var last = {};
  regions.forEach(function (el) { last[el.dataset.live] = el.innerHTML; });

  function refresh() {
    if (document.hidden) { setTimeout(refresh, 2000); return; }
    fetch(location.href, { headers: { "X-Kurir-Live": "1" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var name = el.dataset.live;
          var update = fresh.querySelector('[data-live="' + name + '"]');
          if (update && update.innerHTML !== last[name]) {
            last[name] = update.innerHTML;
            el.innerHTML = update.innerHTML;
            el.dataset.updated = String(Date.now());
          }
        });
      })
      .catch(function () { /* offline for a moment: try again on the next tick */ })
      .then(function () { setTimeout(refresh, 2000); });
  }
  setTimeout(refresh, 2000);
})();
