// kurir dashboard: live regions and ages.
//
// A page marks the parts that change as deliveries happen with data-live="name"; every two seconds (while the tab
// is visible) the page is fetched again and each region whose server-side HTML changed is replaced. The server
// writes moments as exact times (<time data-age>), so a region's HTML changes only when its data does, and a
// region that did not change keeps its focus and its open <details>; this script shows those times as ages.
(function () {
  "use strict";

  function age(then, now) {
    var secs = Math.max(0, Math.floor((now - then) / 1000));
    if (secs < 60) return secs + " s ago";
    if (secs < 3600) return Math.floor(secs / 60) + " min ago";
    if (secs < 86400) return Math.floor(secs / 3600) + " h ago";
    return Math.floor(secs / 86400) + " d ago";
  }

  function showAges() {
    var now = Date.now();
    document.querySelectorAll("time[data-age]").forEach(function (el) {
      var then = Date.parse(el.getAttribute("datetime"));
      if (isNaN(then)) return;
      if (!el.title) el.title = el.textContent;
      el.textContent = age(then, now);
    });
  }

  // Each region's HTML as the server sent it, taken before the ages are shown.
  var regions = document.querySelectorAll("[data-live]");
  var last = {};
  regions.forEach(function (el) { last[el.dataset.live] = el.innerHTML; });
  showAges();
  if (!regions.length) {
    setInterval(showAges, 5000);
    return;
  }

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
      .then(function () { showAges(); setTimeout(refresh, 2000); });
  }
  setTimeout(refresh, 2000);
})();
