// The menu's count of messages waiting for «Повторить», fetched after the page is shown
// (pages render inside their own database transaction; the count needs one of its own).
"use strict";
(function () {
  const badges = document.querySelectorAll("[data-dead-letters-count]");
  if (!badges.length) return;
  fetch("/desk/notifications/dead/count", {
    headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
    credentials: "same-origin",
  })
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      if (!data) return;
      for (const badge of badges) {
        badge.textContent = String(data.count);
        badge.hidden = data.count === 0;
      }
    })
    .catch(() => {}); // the menu works without its count
})();
