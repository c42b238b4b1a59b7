// The events page: the hourly chart and per-box counts follow every new event; on the first
// page, new events matching the page's filters are prepended live. The filters are checked
// here, on the fields every live message carries, against the bounds the server resolved
// (#live-filter: days of the site's zone already turned into instants).
(function () {
  "use strict";
  const {typeBadge, escapeText, timeElement, cameraText} = window.consoleLive;
  const gettext = window.gettext || ((text) => text);  // literal calls: `make messages` finds them
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const filter = JSON.parse(document.getElementById("live-filter").textContent);
  const starts = data.starts.map((start) => Date.parse(start));
  const HOUR = 3600 * 1000;
  const chart = new Chart(document.getElementById("hourly-chart"), {
    type: "bar",
    data: {labels: data.labels, datasets: [{label: gettext("events"), data: data.counts, backgroundColor: "#0d6efd"}]},
    options: {animation: false, plugins: {legend: {display: false}}, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}},
  });
  const table = document.getElementById("event-table");
  const state = document.getElementById("live-state");

  // The chart's bars are hours of the site's zone, given as their start instants: an event
  // counts in the bar it falls in; one after the last bar starts a new hour.
  function countInChart(event) {
    const when = Date.parse(event.occurred_at);
    const bars = chart.data.datasets[0].data;
    while (when >= starts[starts.length - 1] + HOUR) {
      starts.push(starts[starts.length - 1] + HOUR);
      starts.shift();
      bars.push(0);
      bars.shift();
      const label = new Date(starts[starts.length - 1]);
      chart.data.labels.push(window.consoleLive.formatTime(label).slice(11, 13) + ":00");
      chart.data.labels.shift();
    }
    const index = starts.findIndex((start) => when >= start && when < start + HOUR);
    if (index >= 0) bars[index] += 1;
    chart.update();
  }

  function countPerBox(event) {
    const row = document.querySelector(`#per-box tr[data-box="${event.box}"]`);
    if (row) {
      const add = (selector, yes) => {
        const cell = row.querySelector(selector);
        if (yes) cell.textContent = Number(cell.textContent) + 1;
      };
      add(".count", true);
      add(".strangers", event.person_type === 4);
      add(".blacklist", event.person_type === 3);
      return;
    }
    const perBox = document.querySelector("#per-box tbody");
    perBox.querySelector("td[colspan]")?.parentElement.remove();
    perBox.insertAdjacentHTML("beforeend", `<tr data-box="${event.box}"><td><a href="/boxes/${event.box}/">
      ${escapeText(event.box_name)}</a></td><td class="text-end count">1</td>
      <td class="text-end strangers">${event.person_type === 4 ? 1 : 0}</td>
      <td class="text-end blacklist">${event.person_type === 3 ? 1 : 0}</td></tr>`);
  }

  // The chart and per-box counts follow only the place filters (a box, a site or area), as the server's.
  function atPlace(event) {
    if (!filter) return true;
    if (filter.box !== null && event.box !== filter.box) return false;
    return !(filter.boxes && !filter.boxes.includes(event.box));
  }

  // The server's filter (events/selectors.filter_events), on the live message's fields.
  function matches(event) {
    if (!filter) return false;
    if (filter.q) {
      const needle = filter.q.toLowerCase();
      const hay = [event.identity_name, event.identity_id, event.ep_id, event.device_ip];
      if (!hay.some((value) => (value || "").toLowerCase().includes(needle))) return false;
    }
    if (filter.box !== null && event.box !== filter.box) return false;
    if (filter.boxes && !filter.boxes.includes(event.box)) return false;  // a site or area: its boxes
    if (filter.type !== null && event.person_type !== filter.type) return false;
    if (filter.ep_id && event.ep_id !== filter.ep_id) return false;
    if (filter.identity_id && event.identity_id !== filter.identity_id) return false;
    const when = Date.parse(event.occurred_at);
    if (filter.since && when < Date.parse(filter.since)) return false;
    if (filter.until) {
      const until = Date.parse(filter.until);
      if (filter.until_inclusive ? when > until : when >= until) return false;
    }
    return true;
  }

  function row(event) {
    const tr = document.createElement("tr");
    tr.dataset.eventId = event.id;
    tr.className = "table-success live-new";
    const picture = event.spot_pic_url
      ? `<a href="${event.detail_url}"><img src="${event.spot_pic_url}" class="rounded event-thumb" alt="${escapeText(gettext("Face as the camera saw it"))}"></a>` : "";
    const person = event.person_type === 4 ? `<span class="text-body-secondary">${escapeText(gettext("stranger"))}</span>`
      : `<a href="/people/?q=${encodeURIComponent(event.identity_id)}">${escapeText(event.identity_name || event.identity_id)}</a>
         <small class="text-body-secondary">${escapeText(event.identity_id)}</small>
         <a class="feedback-link text-body-secondary" href="${event.detail_url}#match-feedback" title="${escapeText(gettext("Wrong match? Say who it is"))}"><i class="bi bi-flag" aria-hidden="true"></i><span class="visually-hidden">${escapeText(gettext("Wrong match? Say who it is"))}</span></a>`;
    const camera = event.camera_name || event.device_ip
      ? `<span title="${escapeText(event.ep_id)}">${escapeText(event.camera_name || cameraText(event))}</span>`
        + (event.camera_location ? `<br><small class="text-body-secondary">${escapeText(event.camera_location)}</small>` : "")
      : (event.ep_id ? `<small>${escapeText(event.ep_id)}</small>` : "—");
    tr.innerHTML = `<td>${picture}</td>
      <td class="text-nowrap"><a class="event-time" href="${event.detail_url}" title="${escapeText(gettext("Details of this event"))}">${timeElement(event.occurred_at)}</a></td>
      <td>${person}</td><td class="text-nowrap">${typeBadge(event.person_type)}</td>
      <td><a href="/boxes/${event.box}/">${escapeText(event.box_name)}</a></td>
      <td class="event-camera">${camera}</td><td>${Number(event.score).toFixed(2)}</td>`;
    setTimeout(() => tr.classList.remove("table-success"), 3000);
    return tr;
  }

  document.addEventListener("console:update", (update) => {
    const message = update.detail;
    if (message.kind !== "event") return;
    const event = message.event;
    if (atPlace(event)) {
      countInChart(event);
      if (Date.parse(event.occurred_at) >= Date.now() - 24 * HOUR) countPerBox(event);
    }
    if (table.dataset.liveRows !== "true" || !matches(event)) return;
    if (table.querySelector(`tr[data-event-id="${event.id}"]`)) return;
    table.querySelector(".empty-row")?.remove();
    const body = table.tBodies[0];
    body.prepend(row(event));
    while (body.rows.length > 50) body.deleteRow(-1);
  });
  const showState = () => {
    state.textContent = {connected: `● ${gettext("live")}`, disconnected: gettext("reconnecting…")}[document.body.dataset.live] || "";
  };
  new MutationObserver(showState).observe(document.body, {attributes: true, attributeFilter: ["data-live"]});
  showState();
})();
