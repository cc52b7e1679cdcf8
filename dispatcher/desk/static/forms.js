// The desk's forms: live parsing of the new call form, patient search, list filters.
(function () {
  "use strict";

  function debounce(fn, ms) {
    let timer = null;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(this, args), ms);
    };
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  async function getJson(url, params) {
    const query = new URLSearchParams(params).toString();
    const response = await fetch(url + "?" + query, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(response.status);
    return response.json();
  }

  // Filter rows of a list by a search box: [data-filter-input] → [data-filter-row][data-search]
  document.querySelectorAll("[data-filter-input]").forEach((input) => {
    const scope = document.querySelector(input.dataset.filterInput);
    input.addEventListener("input", () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      scope.querySelectorAll("[data-filter-row]").forEach((row) => {
        const text = row.dataset.search || "";
        row.hidden = !words.every((w) => text.includes(w));
      });
    });
  });

  // «Другой врач» of the assign dialog: only the dates the chosen doctor works, the first of
  // them chosen (a doctor off today defaults to the next working day, as the table says)
  const overrideDoctor = document.getElementById("override-doctor");
  const overrideDay = document.getElementById("override-day");
  function followDoctor() {
    const chosen = overrideDoctor.selectedOptions[0];
    const works = (chosen ? chosen.dataset.days || "" : "").split(" ").filter(Boolean);
    Array.from(overrideDay.options).forEach((option) => {
      option.disabled = works.length > 0 && !works.includes(option.value);
    });
    const first = Array.from(overrideDay.options).find((option) => !option.disabled);
    if (first) overrideDay.value = first.value;
  }
  if (overrideDoctor && overrideDay) {
    overrideDoctor.addEventListener("change", followDoctor);
    followDoctor();
  }

  const form = document.getElementById("new-call-form");
  if (!form) return;

  // A refused save: the cursor goes to the first field to fix, in reading order
  const firstBad = form.querySelector('[aria-invalid="true"]');
  if (firstBad) firstBad.focus();

  const address = form.querySelector("#address");
  const complaints = form.querySelector("#complaints");
  const notes = form.querySelector("#notes");
  const birth = form.querySelector("#birth_date");
  const district = form.querySelector("#district_code");
  const autoFilled = new Set();
  let districtTouched = district.value !== "";
  district.addEventListener("change", () => { districtTouched = true; });

  const LABELS = {
    region: "Регион", district: "Район", city: "Город", street: "Улица", house: "Дом",
    korpus: "Корпус", building: "Строение", flat: "Квартира",
    entrance: "Подъезд", floor: "Этаж", intercom: "Домофон",
  };

  function fillIfFree(name, value) {
    const input = form.querySelector("#" + name);
    if (!input || !value) return;
    if (input.value === "" || autoFilled.has(name)) {
      input.value = value;
      autoFilled.add(name);
    }
  }
  ["entrance", "floor", "intercom"].forEach((name) => {
    form.querySelector("#" + name).addEventListener("input", () => autoFilled.delete(name));
  });

  // A field the server marked wrong is unmarked as soon as it is changed
  function clearError(input) {
    const label = input && input.closest(".f.bad");
    if (!label) return;
    label.classList.remove("bad");
    input.removeAttribute("aria-invalid");
    const message = label.querySelector(".err");
    if (message) message.textContent = "";
  }
  form.addEventListener("input", (event) => clearError(event.target));

  // Ctrl+Enter saves from anywhere in the form, the complaint text included (not in an emergency)
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    const save = document.getElementById("btn-save");
    if (!save.disabled) form.requestSubmit(save);
  });

  const parseAddress = debounce(async () => {
    const box = document.getElementById("address-parsed");
    if (!address.value.trim()) { box.replaceChildren(); return; }
    try {
      const data = await getJson(form.dataset.addressUrl, { text: address.value, birth_date: birth.value });
      const items = [];
      Object.entries(LABELS).forEach(([key, label]) => {
        const value = data.components[key];
        if (value) {
          const wrap = el("div", { "data-part": key });
          wrap.append(el("dt", {}, label), el("dd", {}, (key === "street" && data.components.street_type ? data.components.street_type + " " : "") + value));
          items.push(wrap);
        }
      });
      const d = el("div", { "data-part": "district" });
      d.append(el("dt", {}, "Участок"), el("dd", { class: data.district ? "ok" : "warn" },
        data.district ? data.district.code + " — " + data.district.name : "не сопоставлен — выберите вручную"));
      items.push(d);
      box.replaceChildren(...items);
      fillIfFree("entrance", data.components.entrance);
      fillIfFree("floor", data.components.floor);
      fillIfFree("intercom", data.components.intercom);
      if (data.private_sector) form.querySelector("#private_sector").checked = true;
      if (!districtTouched) district.value = data.district ? data.district.code : "";
    } catch (err) {
      box.replaceChildren(el("div", {}, "Разбор адреса недоступен"));
    }
  }, 300);

  // What the form knows about the patient, for the questionnaire not to ask it (questionnaire.js)
  function tellFacts(facts) {
    document.dispatchEvent(new CustomEvent("desk:facts", { detail: facts }));
  }

  // Every free text the operator types patient words into goes through the triage as typed,
  // with the age from the birth date; each reports its red flags to the shared banner.
  function triaged(input, shown) {
    let asked = 0;
    return debounce(async () => {
      const mine = ++asked;  // an older answer arriving late must not undo a newer one
      if (!input.value.trim()) {
        if (shown) shown(null);
        window.deskEmergency.report(input.id, []);
        return;
      }
      try {
        const data = await getJson(form.dataset.complaintsUrl, { text: input.value, birth_date: birth.value });
        if (mine !== asked) return;
        if (shown) shown(data);
        window.deskEmergency.report(input.id, data.emergency ? data.flags : []);
      } catch (err) {
        if (shown) shown(undefined);
      }
    }, 300);
  }

  const parseComplaints = triaged(complaints, (data) => {
    const box = document.getElementById("complaints-parsed");
    if (data === undefined) { box.replaceChildren(el("span", {}, "Разбор жалоб недоступен")); return; }
    const parts = [];
    if (data && data.temperature !== null) parts.push(el("span", { class: "tag", "data-part": "temperature" }, "t° " + String(data.temperature).replace(".", ",")));
    if (data) data.symptom_labels.forEach((s) => parts.push(el("span", { class: "tag", "data-part": "symptom" }, s)));
    box.replaceChildren(...parts);
    tellFacts({ temperature: data ? data.temperature : null });
  });
  const parseNotes = triaged(notes, null);
  const retriage = () => { parseComplaints(); parseNotes(); };

  const showAge = debounce(async () => {
    const out = document.getElementById("age-out");
    if (!birth.value.trim()) { out.textContent = ""; tellFacts({ age_years: null }); return; }
    try {
      const data = await getJson("/desk/forms/age", { birth_date: birth.value });
      out.textContent = data.text;
      tellFacts({ age_years: data.years });
    } catch (err) { out.textContent = ""; tellFacts({ age_years: null }); }
  }, 300);

  address.addEventListener("input", parseAddress);
  complaints.addEventListener("input", parseComplaints);
  notes.addEventListener("input", parseNotes);
  birth.addEventListener("input", () => { showAge(); parseAddress(); retriage(); });
  if (address.value) parseAddress();
  if (complaints.value) parseComplaints();
  if (notes.value) parseNotes();

  form.querySelectorAll("[data-chip]").forEach((chip) => {
    chip.addEventListener("click", () => {
      const text = complaints.value.trim();
      complaints.value = text ? text.replace(/[,\s]*$/, "") + ", " + chip.dataset.chip.toLowerCase() : chip.dataset.chip;
      complaints.focus();
      parseComplaints();
    });
  });

  // Patient search: fill the form from a found patient; show their open and past calls.
  const search = document.getElementById("patient-search");
  const results = document.getElementById("patient-results");
  const PATIENT_FIELDS = ["last_name", "first_name", "middle_name", "policy_series", "policy_number", "phone"];
  const runSearch = debounce(async () => {
    if (search.value.trim().length < 2) { results.replaceChildren(); return; }
    try {
      const data = await getJson(form.dataset.patientsUrl, { q: search.value });
      const blocks = [];
      const caption = { policy: "по номеру полиса", phone: "по номеру телефона", name: "по ФИО" }[data.by];
      blocks.push(el("h3", {}, "Записи, найденные " + caption));
      if (!data.patients.length) blocks.push(el("p", {}, "Пациенты не найдены."));
      data.patients.forEach((p) => {
        const button = el("button", { type: "button", class: "found" },
          [p.last_name, p.first_name, p.middle_name || ""].join(" ") + (p.birth_date ? ", " + p.birth_date : "") + (p.policy_number ? ", полис " + p.policy_number : ""));
        button.addEventListener("click", () => {
          PATIENT_FIELDS.forEach((name) => {
            const input = form.querySelector("#" + name);
            input.value = p[name] || "";
            clearError(input);
          });
          birth.value = p.birth_date || "";
          clearError(birth);
          form.querySelectorAll("input[name=sex]").forEach((r) => { r.checked = r.value === p.sex; });
          if (p.address && !address.value) { address.value = p.address; clearError(address); parseAddress(); }
          showAge();
          retriage();  // the found patient's age counts in the triage
          complaints.focus();
        });
        blocks.push(button);
      });
      blocks.push(el("h3", {}, "Вызовы врача на дом"));
      if (!data.calls.length) {
        blocks.push(el("p", {}, "Заявки отсутствуют."));
      } else {
        const table = el("table", { class: "calls" });
        const head = el("tr");
        ["№", "Пациент", "Доктор", "Адрес", "Дата вызова", "Статус"].forEach((h) => head.append(el("th", {}, h)));
        table.append(head);
        data.calls.forEach((c) => {
          const row = el("tr", { class: c.is_open ? "open" : "" });
          const link = el("a", { href: "/desk/calls/" + c.id }, String(c.number));
          const cell = el("td"); cell.append(link);
          row.append(cell);
          [c.patient, c.doctor || "—", c.address, c.created, c.status].forEach((v) => row.append(el("td", {}, v)));
          table.append(row);
        });
        blocks.push(table);
      }
      results.replaceChildren(...blocks);
    } catch (err) {
      results.replaceChildren(el("p", {}, "Поиск недоступен"));
    }
  }, 300);
  search.addEventListener("input", runSearch);
  // Enter in the search box searches instead of submitting the call form
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); runSearch(); }
  });
})();
