// The caller's card: shown when this user's phone answers a call, from /desk/ws.
(function () {
  "use strict";
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function showCallerCard(card) {
    let box = document.getElementById("caller-card");
    if (!box) {
      box = el("aside", { id: "caller-card", class: "caller-card", role: "alert", "aria-label": "Карточка звонящего" });
      const main = document.getElementById("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.replaceChildren();
    box.dataset.linkedid = card.linkedid;
    box.append(el("h2", {}, "Входящий звонок: " + (card.phone || "номер скрыт")));
    const actions = el("p", { class: "actions" });
    actions.append(el("a", { class: "button primary", href: card.new_call_url, id: "card-new-call" }, "Новый вызов"));
    box.append(actions);
    if (card.patients.length) {
      box.append(el("h3", {}, "Пациенты с этим номером"));
      const list = el("ul", { class: "card-patients" });
      for (const p of card.patients) {
        const item = el("li");
        item.append(el("span", {}, p.name + (p.birth_date ? ", " + p.birth_date : "") + (p.address ? " — " + p.address : "") + " "));
        item.append(el("a", { href: p.new_call_url, class: "card-patient-new" }, "Новый вызов"));
        list.append(item);
      }
      box.append(list);
    } else {
      box.append(el("p", { class: "hint" }, card.phone ? "Пациентов с этим номером нет" : "Номер скрыт: пациента найти нельзя"));
    }
    if (card.calls.length) {
      box.append(el("h3", {}, "Вызовы"));
      const list = el("ul", { class: "card-calls" });
      for (const c of card.calls) {
        const item = el("li");
        item.append(el("a", { href: c.url }, "№ " + c.number + " от " + c.created));
        item.append(el("span", {}, " " + c.patient + ", " + c.address + " — " + c.status + (c.is_open ? " (открыт)" : "")));
        list.append(item);
      }
      box.append(list);
    }
  }
  window.showCallerCard = showCallerCard;
})();
