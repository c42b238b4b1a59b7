// The events page: the hourly chart, and new events prepended live (unfiltered first page only).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const chart = new Chart(document.getElementById("hourly-chart"), {
    type: "bar",
    data: {labels: data.labels, datasets: [{label: "events", data: data.counts, backgroundColor: "#0d6efd"}]},
    options: {animation: false, plugins: {legend: {display: false}}, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}},
  });
  const table = document.getElementById("event-table");
  const state = document.getElementById("live-state");
  const {typeBadge, escapeText} = window.consoleLive;

  function row(event) {
    const tr = document.createElement("tr");
    tr.dataset.eventId = event.id;
    tr.className = "table-success live-new";
    const picture = event.spot_pic_url ? `<img src="${event.spot_pic_url}" class="rounded event-thumb" alt="">` : "";
    const person = event.person_type === 4 ? '<span class="text-body-secondary">stranger</span>'
      : `<a href="/people/?q=${encodeURIComponent(event.identity_id)}">${escapeText(event.identity_name || event.identity_id)}</a>
         <small class="text-body-secondary">${escapeText(event.identity_id)}</small>`;
    tr.innerHTML = `<td>${picture}</td><td>${new Date(event.occurred_at).toLocaleString()}</td><td>${person}</td>
      <td>${typeBadge(event.person_type)}</td><td><a href="/boxes/${event.box}/">${escapeText(event.box_name)}</a></td>
      <td><small>${escapeText(event.ep_id || "—")}</small></td><td>${Number(event.score).toFixed(2)}</td>`;
    setTimeout(() => tr.classList.remove("table-success"), 3000);
    return tr;
  }

  document.addEventListener("console:update", (update) => {
    const message = update.detail;
    if (message.kind !== "event") return;
    const event = message.event;
    chart.data.datasets[0].data[chart.data.datasets[0].data.length - 1] += 1;
    chart.update();
    const count = document.querySelector(`#per-box tr[data-box="${event.box}"] .count`);
    if (count) {
      count.textContent = Number(count.textContent) + 1;
    } else {
      const perBox = document.querySelector("#per-box tbody");
      perBox.querySelector("td[colspan]")?.parentElement.remove();
      perBox.insertAdjacentHTML("beforeend", `<tr data-box="${event.box}"><td><a href="/boxes/${event.box}/">
        ${escapeText(event.box_name)}</a></td><td class="text-end count">1</td><td class="text-end">${event.person_type === 4 ? 1 : 0}</td>
        <td class="text-end">${event.person_type === 3 ? 1 : 0}</td></tr>`);
    }
    if (table.dataset.live !== "true" || table.querySelector(`tr[data-event-id="${event.id}"]`)) return;
    table.querySelector(".empty-row")?.remove();
    const body = table.tBodies[0];
    body.prepend(row(event));
    while (body.rows.length > 50) body.deleteRow(-1);
  });
  const showState = () => {
    state.textContent = {connected: "● live", disconnected: "reconnecting…"}[document.body.dataset.live] || "";
  };
  new MutationObserver(showState).observe(document.body, {attributes: true, attributeFilter: ["data-live"]});
  showState();
})();
