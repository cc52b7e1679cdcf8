/* The reason-code questionnaire, question by question: digits 1–9 pick an answer while the
   script has focus, Backspace steps back, Enter presses the focused answer. The answer ids go
   into a hidden input as JSON; the server walks the same tree again and writes the code. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function start(box) {
    const input = document.getElementById(box.dataset.input);
    const view = box.querySelector(".qn-view");
    const trail = box.querySelector(".qn-trail");
    const restart = box.querySelector(".qn-restart");
    let tree = null;
    let taken = [];

    function node(id) {
      if (tree.questions[id]) return { kind: "question", id, ...tree.questions[id] };
      if (tree.outcomes[id]) return { kind: "outcome", id, ...tree.outcomes[id] };
      return { kind: "exit", id, ...tree.exits[id] };
    }

    function current() {
      let id = tree.start;
      const steps = [];
      for (const answerId of taken) {
        const q = tree.questions[id];
        const answer = q.answers.find((a) => a.id === answerId);
        steps.push({ question: q.text, answer: answer.text });
        id = answer.next;
      }
      return { steps, at: node(id) };
    }

    // the page's red banner and save buttons are shared with the triage of the form's texts
    // (emergency.js): an exit reports its reason, stepping back from it withdraws it
    function emergency(on, reason) {
      if (window.deskEmergency) window.deskEmergency.report("questionnaire", on ? [reason] : []);
    }

    function choose(answerId) {
      taken.push(answerId);
      draw(true);
    }

    function draw(focus) {
      const { steps, at } = current();
      input.value = taken.length ? JSON.stringify(taken) : "";
      trail.replaceChildren(...steps.map((s) => el("li", {}, `${s.question} — ${s.answer}`)));
      view.replaceChildren();
      box.dataset.state = at.kind;
      emergency(at.kind === "exit", at.reason);
      if (at.kind === "question") {
        view.append(el("p", { class: "qn-question", id: "qn-question" }, at.text));
        if (at.hint) view.append(el("p", { class: "muted" }, at.hint));
        const list = el("div", { class: "qn-answers", role: "group", "aria-labelledby": "qn-question" });
        at.answers.forEach((a, i) => {
          const button = el("button", { type: "button", class: "qn-answer", "data-answer": a.id,
            "aria-keyshortcuts": String(i + 1) }, `${i + 1}. ${a.text}`);
          button.addEventListener("click", () => choose(a.id));
          list.append(button);
        });
        view.append(list);
        if (focus) list.firstChild.focus();
      } else if (at.kind === "outcome") {
        const out = el("p", { class: "qn-outcome", id: "qn-outcome", role: "status" });
        out.append(el("strong", { id: "qn-code" }, at.code), ` — ${at.text}. ${at.urgency_label}`);
        view.append(out);
        if (focus) restart.focus();
      } else {
        const out = el("div", { class: "nc-emergency qn-exit", id: "qn-exit", role: "alert" });
        out.append(el("strong", {}, `${at.reason}: вызов врача на дом не оформляется`),
          el("p", {}, `Скажите: «${at.say}»`));
        view.append(out);
        if (focus) restart.focus();
      }
    }

    box.addEventListener("keydown", (event) => {
      if (!tree || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.matches("input, textarea, select")) return;
      const buttons = box.querySelectorAll(".qn-answer");
      if (/^[1-9]$/.test(event.key) && buttons[Number(event.key) - 1]) {
        event.preventDefault();
        buttons[Number(event.key) - 1].click();
      } else if (event.key === "Backspace" && taken.length) {
        event.preventDefault();
        taken.pop();
        draw(true);
      }
    });
    restart.addEventListener("click", () => { taken = []; draw(true); });

    fetch(box.dataset.url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        tree = data;
        box.querySelector(".qn-version").textContent = `${data.title}, версия ${data.version}`;
        try { taken = input.value ? JSON.parse(input.value) : []; current(); } catch (e) { taken = []; }
        draw(false);
      });
  }

  document.querySelectorAll("[data-questionnaire]").forEach(start);
})();
