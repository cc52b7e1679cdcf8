/* The reason-code questionnaire, question by question: digits 1–9 pick an answer while the
   script has focus, Backspace steps back to the last question asked, Enter presses the focused
   answer. A question whose answer is already known (`data-age-years`, `data-temperature`, or a
   `desk:facts` event from the form as the operator types) is answered so and not asked; an exit
   behind it still applies. The answer ids go into a hidden input as JSON; the server walks the
   same tree with the same facts and writes the code. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function number(raw) {
    return raw === undefined || raw === "" ? null : Number(raw);
  }

  // A question whose fact is known (the age from the birth date, the temperature parsed from the
  // complaint) is answered by it and not asked: the answer whose range holds the value.
  function fits(answer, value) {
    if (answer.at_least == null && answer.below == null) return false;
    return (answer.at_least == null || value >= answer.at_least) && (answer.below == null || value < answer.below);
  }

  const FACT_NOTES = {
    age_years: () => "по дате рождения",
    temperature: (v) => `по жалобе: t° ${String(v).replace(".", ",")}`,
  };

  function start(box) {
    const input = document.getElementById(box.dataset.input);
    const view = box.querySelector(".qn-view");
    const trail = box.querySelector(".qn-trail");
    const restart = box.querySelector(".qn-restart");
    const facts = { age_years: number(box.dataset.ageYears), temperature: number(box.dataset.temperature) };
    let tree = null;
    let chosen = new Map();  // question id → the operator's answer id, along the path

    function node(id) {
      if (tree.questions[id]) return { kind: "question", id, ...tree.questions[id] };
      if (tree.outcomes[id]) return { kind: "outcome", id, ...tree.outcomes[id] };
      return { kind: "exit", id, ...tree.exits[id] };
    }

    function knownAnswer(q) {
      const value = q.known ? facts[q.known] : null;
      if (value === null || value === undefined) return null;
      return q.answers.find((a) => fits(a, value)) || null;
    }

    // the path from the start: known questions answered by their facts, the others by the
    // operator's answers, up to the first question still to ask
    function current() {
      let id = tree.start;
      const steps = [];
      while (tree.questions[id]) {
        const q = tree.questions[id];
        const known = chosen.size ? knownAnswer(q) : null;  // an untouched script stays untouched
        const answer = known || q.answers.find((a) => a.id === chosen.get(id));
        if (!answer) break;
        steps.push({ id, question: q.text, answer, known: known ? FACT_NOTES[q.known](facts[q.known]) : null });
        id = answer.next;
      }
      return { steps, at: node(id) };
    }

    // only the answers of the questions on the path are kept (a changed answer drops the rest)
    function keep(steps, extra) {
      const kept = new Map();
      steps.forEach((s) => { if (!s.known && chosen.has(s.id)) kept.set(s.id, chosen.get(s.id)); });
      if (extra) kept.set(extra[0], extra[1]);
      chosen = kept;
    }

    // the page's red banner and save buttons are shared with the triage of the form's texts
    // (emergency.js): an exit reports its reason, stepping back from it withdraws it
    function emergency(on, reason) {
      if (window.deskEmergency) window.deskEmergency.report("questionnaire", on ? [reason] : []);
    }

    function choose(questionId, answerId) {
      keep(current().steps, [questionId, answerId]);
      draw(true);
    }

    function back() {
      const asked = current().steps.filter((s) => !s.known);
      keep(asked.slice(0, -1));
      draw(true);
    }

    function draw(focus) {
      const { steps, at } = current();
      input.value = steps.length ? JSON.stringify(steps.map((s) => s.answer.id)) : "";
      trail.replaceChildren(...steps.map((s) => {
        const item = el("li", s.known ? { class: "qn-known" } : {}, `${s.question} — ${s.answer.text}`);
        if (s.known) item.append(el("span", { class: "muted" }, ` (${s.known}, не спрашивается)`));
        return item;
      }));
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
          button.addEventListener("click", () => choose(at.id, a.id));
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

    // the answers the page came back with (a refused save): the operator's, question by question
    function restore(raw) {
      chosen = new Map();
      try {
        let id = tree.start;
        for (const answerId of raw ? JSON.parse(raw) : []) {
          const answer = tree.questions[id] && tree.questions[id].answers.find((a) => a.id === answerId);
          if (!answer) break;
          chosen.set(id, answerId);
          id = answer.next;
        }
      } catch (e) { chosen = new Map(); }
    }

    box.addEventListener("keydown", (event) => {
      if (!tree || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.matches("input, textarea, select")) return;
      const buttons = box.querySelectorAll(".qn-answer");
      if (/^[1-9]$/.test(event.key) && buttons[Number(event.key) - 1]) {
        event.preventDefault();
        buttons[Number(event.key) - 1].click();
      } else if (event.key === "Backspace" && chosen.size) {
        event.preventDefault();
        back();
      }
    });
    restart.addEventListener("click", () => { chosen = new Map(); draw(true); });
    // the form reports what it learns as the operator types (forms.js): the script follows
    document.addEventListener("desk:facts", (event) => {
      Object.assign(facts, event.detail);
      if (tree) draw(false);
    });

    fetch(box.dataset.url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        tree = data;
        box.querySelector(".qn-version").textContent = `${data.title}, версия ${data.version}`;
        restore(input.value);
        draw(false);
      });
  }

  document.querySelectorAll("[data-questionnaire]").forEach(start);
})();
