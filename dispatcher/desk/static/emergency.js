/* The page's red 103/112 banner and its save buttons, shared by every live check: the triage of
   each free text of the new call form (complaint, note) and the questionnaire's exits. Each check
   reports its own flags under its own name; the banner lists them all, and saving stays off while
   any check still has one. With none left the page goes back to how the server drew it — except
   on a page whose banner is `data-live`: there the checks own it (they all run again on load).

   A flag is a reason (a certain sign) or {reason, possible}. When every flag shown is only
   possible, the banner asks the operator to check with the caller and offers the confirmation
   «не экстренный случай»; ticking it lets the call be saved (the server checks the same). Any
   change of the signs shown takes the tick back: it was given for the signs asked about. */
(function () {
  "use strict";

  const banner = document.getElementById("emergency-banner");
  if (!banner) return;
  const flagsOut = document.getElementById("emergency-flags");
  const title = document.getElementById("emergency-title");
  const note = document.getElementById("possible-note");
  const confirmBox = document.getElementById("possible-confirm");
  const confirmed = document.getElementById("not-emergency");
  const buttons = () => Array.from(document.querySelectorAll(".save-btn"));
  const live = banner.hasAttribute("data-live");
  const drawn = {
    hidden: live ? true : banner.hidden,
    flags: live ? "" : flagsOut.textContent,
    disabled: buttons().map((b) => (live ? false : b.disabled)),
  };
  const reported = new Map();
  let asked = "";  // the signs the confirmation was offered for

  const flagOf = (f) => (typeof f === "string" ? { reason: f, possible: false } : f);

  function offer(possible, signs) {
    if (!confirmed) return false;
    if (!possible || signs !== asked) confirmed.checked = false;
    asked = possible ? signs : "";
    confirmBox.hidden = !possible;
    note.hidden = !possible;
    return possible && confirmed.checked;
  }

  function render() {
    const all = [...reported.values()].flat();
    const reasons = [...new Set(all.map((f) => f.reason))];
    if (reasons.length) {
      const possible = all.every((f) => f.possible);
      const saving = offer(possible, reasons.join("\n"));
      banner.hidden = false;
      banner.classList.toggle("nc-possible", possible);
      if (title) title.textContent = possible ? title.dataset.possible : title.dataset.certain;
      flagsOut.textContent = reasons.join(", ");
      buttons().forEach((b) => { b.disabled = !saving; });
      return;
    }
    offer(false, "");
    banner.classList.remove("nc-possible");
    banner.hidden = drawn.hidden;
    flagsOut.textContent = drawn.flags;
    buttons().forEach((b, i) => { b.disabled = drawn.disabled[i] || false; });
  }

  function report(check, flags) {
    reported.set(check, (flags || []).map(flagOf));
    render();
  }

  if (confirmed) confirmed.addEventListener("change", render);
  window.deskEmergency = { report };
})();
