// Live console: one WebSocket per page (/ws/console/). Every message is re-dispatched as a
// "console:update" DOM event for the page's own script; blacklist matches raise an alert on
// every page, and box state badges (data-box-state="<id>") follow the box going on/offline.
(function () {
  "use strict";
  // Django's JavaScript catalog (/jsi18n/, loaded before this file) translates; English without it.
  // Literal gettext("...") calls, so that `make messages` finds the strings.
  const gettext = window.gettext || ((text) => text);
  const t = gettext;
  // Person types as the server renders their badges (aibox_contract.people, already in the page's
  // language): {type: [label, badge classes]} from <script id="person-types"> in base.html.
  const typesData = document.getElementById("person-types");
  const TYPE_BADGES = typesData ? JSON.parse(typesData.textContent) : {};

  // One clock (events/templatetags/console.py): the site's zone from <body data-time-zone>,
  // written as the server writes it, YYYY-MM-DD HH:MM:SS, whatever the browser's own zone.
  let clock = null;
  function formatTime(value) {
    const date = new Date(value);
    if (value == null || Number.isNaN(date.getTime())) return "";
    if (clock === null) {
      const options = {year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
        second: "2-digit", hourCycle: "h23"};
      try {
        clock = new Intl.DateTimeFormat("en-US", {...options, timeZone: document.body.dataset.timeZone || "UTC"});
      } catch (error) {  // a zone this browser does not know: UTC, which the footer then misnames
        clock = new Intl.DateTimeFormat("en-US", {...options, timeZone: "UTC"});
      }
    }
    const part = Object.fromEntries(clock.formatToParts(date).map((piece) => [piece.type, piece.value]));
    return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`;
  }

  // The same <time> the server renders (the |moment filter): datetime is the instant in UTC.
  function timeElement(value) {
    const date = new Date(value);
    if (value == null || Number.isNaN(date.getTime())) return "";
    const utc = date.toISOString().replace(/\.\d{3}Z$/, "+00:00");
    return `<time datetime="${utc}">${formatTime(value)}</time>`;
  }

  function escapeText(value) {
    const span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span.innerHTML;
  }

  function typeBadge(type) {
    const [label, style] = TYPE_BADGES[type] || [String(type), "text-bg-light border"];
    return `<span class="badge ${style}">${escapeText(label)}</span>`;
  }

  function blacklistAlert(event) {
    const holder = document.getElementById("live-alerts");
    if (!holder) return;
    const when = timeElement(event.occurred_at);
    const picture = event.spot_pic_url ? `<img src="${event.spot_pic_url}" class="rounded me-2" height="48" alt="">` : "";
    const alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible shadow d-flex align-items-center mb-2";
    alert.setAttribute("role", "alert");
    alert.dataset.eventId = event.id;
    const who = interpolateText(gettext("%(name)s (%(id)s) at %(box)s"), {name: escapeText(event.identity_name),
      id: escapeText(event.identity_id), box: escapeText(event.box_name)});
    alert.innerHTML = `${picture}<div><strong><i class="bi bi-exclamation-octagon-fill"></i> ${escapeText(gettext("Blacklist match:"))}</strong>
      ${who}
      ${cameraText(event) ? "· " + escapeText(cameraText(event)) : ""} · <a class="alert-link" href="${event.detail_url}">${when}</a></div>
      <button type="button" class="btn-close" data-bs-dismiss="alert" aria-label="${escapeText(gettext("Close"))}"></button>`;
    holder.prepend(alert);
  }

  // A camera in words: its name (and location) as the box reports it, else its IP, else its ep_id.
  function cameraText(event) {
    if (event.camera_name) return event.camera_location ? `${event.camera_name}, ${event.camera_location}` : event.camera_name;
    if (event.device_ip) return interpolateText(gettext("camera at %(ip)s"), {ip: event.device_ip});
    return event.ep_id || "";
  }

  function interpolateText(text, values) {
    return window.interpolate ? window.interpolate(text, values, true) : text.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
  }

  function boxState(box) {
    document.querySelectorAll(`[data-box-state="${box.id}"]`).forEach((element) => {
      element.innerHTML = box.online
        ? `<span class="badge text-bg-success"><i class="bi bi-circle-fill"></i> ${escapeText(gettext("online"))}</span>`
        : `<span class="badge text-bg-light border"><i class="bi bi-circle"></i> ${escapeText(gettext("offline"))}</span>`;
    });
    // A camera of an offline box is not known to be online (devices/_camera_state.html).
    document.querySelectorAll(`[data-camera-state="${box.id}"]`).forEach((element) => {
      const reported = element.dataset.reported;
      element.innerHTML = !box.online
        ? `<span class="badge text-bg-light border" title="${escapeText(gettext("Its box is offline: the camera's state is not known."))}"><i class="bi bi-question-circle"></i> ${escapeText(gettext("unknown"))}</span>`
        : reported === "online"
          ? `<span class="badge text-bg-success">${escapeText(gettext("online"))}</span>`
          : `<span class="badge text-bg-light border">${escapeText(reported || "?")}</span>`;
    });
    document.querySelectorAll(`[data-box-last-seen="${box.id}"]`).forEach((element) => {
      if (box.last_seen_at) element.innerHTML = timeElement(box.last_seen_at);
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
        if (item.kind === "fragments") {
          replaceFragments((item.translated || {})[document.documentElement.lang] || item.fragments);
        }
        document.dispatchEvent(new CustomEvent("console:update", {detail: item}));
      }
    };
    socket.onclose = () => {
      document.body.dataset.live = "disconnected";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  window.consoleLive = {typeBadge, escapeText, formatTime, timeElement, cameraText, t, interpolateText};
  if (document.body.dataset.liveEnabled === "true") connect();
})();
