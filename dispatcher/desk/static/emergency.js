/* The page's red 103/112 banner and its save buttons, shared by every live check: the triage of
   each free text of the new call form (complaint, note) and the questionnaire's exits. Each check
   reports its own flags under its own name; the banner lists them all, and saving stays off while
   any check still has one. With none left the page goes back to how the server drew it — except
   on a page whose banner is `data-live`: there the checks own it (they all run again on load). */
(function () {
  "use strict";

  const banner = document.getElementById("emergency-banner");
  if (!banner) return;
  const flagsOut = document.getElementById("emergency-flags");
  const buttons = () => Array.from(document.querySelectorAll(".save-btn"));
  const live = banner.hasAttribute("data-live");
  const drawn = {
    hidden: live ? true : banner.hidden,
    flags: live ? "" : flagsOut.textContent,
    disabled: buttons().map((b) => (live ? false : b.disabled)),
  };
  const reported = new Map();

  function report(check, flags) {
    reported.set(check, flags || []);
    const all = [...new Set([...reported.values()].flat())];
    if (all.length) {
      banner.hidden = false;
      flagsOut.textContent = all.join(", ");
      buttons().forEach((b) => { b.disabled = true; });
      return;
    }
    banner.hidden = drawn.hidden;
    flagsOut.textContent = drawn.flags;
    buttons().forEach((b, i) => { b.disabled = drawn.disabled[i] || false; });
  }

  window.deskEmergency = { report };
})();
