// The desk page: deadline countdowns, and live updates from /desk/ws without reloading.
"use strict";
(function () {
  const AMBER_SHARE = 1 / 3; // amber when less than a third of the limit is left

  function pad(n) { return String(n).padStart(2, "0"); }

  function left(seconds) {
    const s = Math.abs(Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h > 0 ? `${h} ч ${pad(m)} мин` : `${m}:${pad(s % 60)}`;
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach((el) => {
      const badge = el.matches(".countdown") ? el : el.querySelector(".countdown");
      if (!badge) return;
      const remaining = (Date.parse(el.dataset.deadline) - now) / 1000;
      const limit = Number(el.dataset.limit) || 1800;
      badge.classList.remove("ok", "amber", "red");
      if (remaining <= 0) {
        badge.classList.add("red");
        badge.textContent = `просрочен на ${left(remaining)}`;
      } else {
        badge.classList.add(remaining < limit * AMBER_SHARE ? "amber" : "ok");
        badge.textContent = `осталось ${left(remaining)}`;
      }
    });
  }
  tick();
  setInterval(tick, 1000);

  const desk = document.getElementById("desk");
  const card = document.getElementById("call-card");
  if (!desk && !card) return;
  const query = desk ? desk.dataset.query : "";
  const live = document.getElementById("live");
  const fetchHeaders = { "X-Requested-With": "fetch", Accept: "text/html" };

  async function get(url) {
    const response = await fetch(url, { headers: fetchHeaders, credentials: "same-origin" });
    if (response.status === 401) { window.location.href = "/desk/login?next=" + encodeURIComponent(location.pathname + location.search); }
    return response;
  }

  function rowsFrom(html) {
    const holder = document.createElement("tbody");
    holder.innerHTML = html;
    return Array.from(holder.querySelectorAll("tr"));
  }

  function syncEmpty() {
    const empty = document.getElementById("empty");
    if (empty) empty.hidden = document.querySelectorAll("#rows tr").length > 0;
  }

  async function refreshRow(callId) {
    const response = await get(`/desk/fragments/rows/${callId}?${query}`);
    const existing = document.getElementById(`call-${callId}`);
    if (response.status === 204) { if (existing) existing.remove(); syncEmpty(); return; }
    if (!response.ok) return;
    const [row] = rowsFrom(await response.text());
    if (!row) return;
    row.classList.add("flash");
    if (existing) {
      existing.replaceWith(row);
    } else if (row.dataset.household) {
      refreshAll(); // a new call of a household: its rows are marked and put together
      return;
    } else {
      const body = document.getElementById("rows");
      const after = Array.from(body.children).find((tr) => Number(tr.dataset.callId) < callId);
      body.insertBefore(row, after || null);
    }
    syncEmpty();
    tick();
  }

  let boardTimer = null;
  function refreshBoard() {
    clearTimeout(boardTimer);
    boardTimer = setTimeout(async () => {
      const response = await get(`/desk/fragments/board?${query}`);
      if (response.ok) {
        document.getElementById("board").innerHTML = await response.text();
        watchOverdue();
      }
    }, 100);
  }

  // A call turns overdue by the clock alone, with no event: the board says in how many seconds
  // the next one will (server time, so a skewed desk clock does not matter), and the counters
  // are fetched again then; the «Просроченные» list itself gains the row too.
  const OVERDUE_SETTLE_MS = 1000;
  const LONGEST_WAIT_MS = 2 ** 31 - 1;
  let overdueTimer = null;
  function watchOverdue() {
    clearTimeout(overdueTimer);
    const counters = document.getElementById("counters");
    const seconds = counters ? counters.dataset.nextOverdueIn : "";
    if (!seconds) return;
    const wait = Math.min(Number(seconds) * 1000 + OVERDUE_SETTLE_MS, LONGEST_WAIT_MS);
    const overdueList = /(^|&)bucket=overdue(&|$)/.test(query);
    overdueTimer = setTimeout(() => (overdueList ? refreshAll() : refreshBoard()), wait);
  }
  if (desk) watchOverdue();

  async function refreshAll() {
    const response = await get(`/desk/fragments/rows?${query}`);
    if (response.ok) {
      document.getElementById("rows").innerHTML = await response.text();
      syncEmpty();
      tick();
    }
    refreshBoard();
  }

  function onEvent(event) {
    if (event.type === "hello") return;
    if (event.type === "caller_card") { if (window.showCallerCard) window.showCallerCard(event); return; }
    if (event.type === "resync") { if (desk) refreshAll(); return; }
    if (!event.call_id) return;
    if (desk) { refreshRow(event.call_id); refreshBoard(); return; }
    if (card && Number(card.dataset.callId) === event.call_id && !document.getElementById("changed")) {
      const note = document.createElement("p");
      note.id = "changed";
      note.className = "notice";
      note.setAttribute("role", "status");
      note.innerHTML = 'Вызов изменён другим пользователем. <a href="">Обновить карту</a>';
      card.insertBefore(note, card.children[1] || null);
    }
  }

  let delay = 500, opened = false;
  function setLive(on, text) {
    if (!live) return;
    live.classList.toggle("on", on);
    live.classList.toggle("off", !on);
    live.textContent = text;
  }
  function connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/desk/ws`);
    ws.onopen = () => {
      setLive(true, "обновления: в реальном времени");
      if (opened && desk) refreshAll(); // events may have been missed while away
      opened = true;
      delay = 500;
    };
    ws.onmessage = (message) => { try { onEvent(JSON.parse(message.data)); } catch (e) { /* ignore */ } };
    ws.onclose = (closed) => {
      if (closed.code === 4401) { // signed out (or switched off): the pages need a login again
        location.href = `/desk/login?next=${encodeURIComponent(location.pathname)}`;
        return;
      }
      setLive(false, "обновления: нет связи, переподключение…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
  window.deskLive = { refreshAll };
})();
