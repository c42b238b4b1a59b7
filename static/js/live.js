// Live console: one WebSocket per page (/ws/console/). Every message is re-dispatched as a
// "console:update" DOM event for the page's own script; blacklist matches raise an alert on
// every page, and box state badges (data-box-state="<id>") follow the box going on/offline.
(function () {
  "use strict";
  const TYPE_BADGES = {1: ["staff", "text-bg-secondary"], 2: ["visitor", "text-bg-info"],
    3: ["blacklist", "text-bg-danger"], 4: ["stranger", "text-bg-warning"], 5: ["VIP", "text-bg-primary"]};

  function escapeText(value) {
    const span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span.innerHTML;
  }

  function typeBadge(type) {
    const [label, style] = TYPE_BADGES[type] || [String(type), "text-bg-light"];
    return `<span class="badge ${style}">${label}</span>`;
  }

  function blacklistAlert(event) {
    const holder = document.getElementById("live-alerts");
    if (!holder) return;
    const when = new Date(event.occurred_at).toLocaleTimeString();
    const picture = event.spot_pic_url ? `<img src="${event.spot_pic_url}" class="rounded me-2" height="48" alt="">` : "";
    const alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible shadow d-flex align-items-center mb-2";
    alert.setAttribute("role", "alert");
    alert.dataset.eventId = event.id;
    alert.innerHTML = `${picture}<div><strong><i class="bi bi-exclamation-octagon-fill"></i> Blacklist match:</strong>
      ${escapeText(event.identity_name)} (${escapeText(event.identity_id)}) at ${escapeText(event.box_name)}
      ${event.ep_id ? "· " + escapeText(event.ep_id) : ""} · ${when}</div>
      <button type="button" class="btn-close" data-bs-dismiss="alert" aria-label="Close"></button>`;
    holder.prepend(alert);
  }

  function boxState(box) {
    document.querySelectorAll(`[data-box-state="${box.id}"]`).forEach((element) => {
      element.innerHTML = box.online
        ? '<span class="badge text-bg-success"><i class="bi bi-circle-fill"></i> online</span>'
        : '<span class="badge text-bg-light border"><i class="bi bi-circle"></i> offline</span>';
    });
  }

  // Server-rendered pieces (enrolment and command badges) for [data-live="key"] elements.
  function replaceFragments(fragments) {
    for (const [key, html] of Object.entries(fragments)) {
      document.querySelectorAll("[data-live]").forEach((element) => {
        if (element.dataset.live === key) element.innerHTML = html;
      });
    }
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/console/`);
    socket.onopen = () => { delay = 1000; document.body.dataset.live = "connected"; };
    socket.onmessage = (message) => {
      const update = JSON.parse(message.data);
      // A batch of events arrives as one message; pages see one "event" update per event.
      const updates = update.kind === "events" ? update.events.map((event) => ({kind: "event", event})) : [update];
      for (const item of updates) {
        if (item.kind === "event" && item.event.person_type === 3) blacklistAlert(item.event);
        if (item.kind === "box") boxState(item);
        if (item.kind === "fragments") replaceFragments(item.fragments);
        document.dispatchEvent(new CustomEvent("console:update", {detail: item}));
      }
    };
    socket.onclose = () => {
      document.body.dataset.live = "disconnected";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  window.consoleLive = {typeBadge, escapeText};
  if (document.body.dataset.liveEnabled === "true") connect();
})();
