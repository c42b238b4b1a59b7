// Console behaviour declared in the markup with data- attributes, so that pages need no
// inline script or style (the Content-Security-Policy runs none):
//   <form data-confirm="Delete X?">            asks before submitting
//   <input type="file" data-preview="img-id">   shows the chosen photo in that <img>
//   <div data-percent="40">                     sets the element's width to 40 %
//   <div data-poll-url="/status/" ...>          import progress, polled every second
//   <div id="x" data-refresh-while-waiting="2000">  the page is fetched again every 2 s until its
//                                               #x no longer waits; then that part is swapped in
//   <button data-copy="input-id">               copies that input's value (a key shown once)
(function () {
  "use strict";
  // Django's JavaScript catalog (/jsi18n/, loaded before this file) translates; English without it.
  const gettext = window.gettext || ((text) => text);
  const IMPORT_STATES = {queued: gettext("queued"), running: gettext("running"), done: gettext("done"),
    failed: gettext("failed")};

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("change", (event) => {
    const target = event.target.dataset && event.target.dataset.preview;
    const file = target && event.target.files && event.target.files[0];
    if (!file) return;
    const preview = document.getElementById(target);
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
  });

  function setWidths(root) {
    root.querySelectorAll("[data-percent]").forEach((bar) => { bar.style.width = bar.dataset.percent + "%"; });
  }

  function pollImport(holder) {
    const bar = holder.querySelector("[data-percent]");
    const state = document.getElementById("job-state");
    const counts = document.getElementById("job-counts");
    fetch(holder.dataset.pollUrl).then((reply) => reply.json()).then((job) => {
      bar.dataset.percent = job.percent;
      bar.textContent = job.percent + "%";
      setWidths(holder);
      state.textContent = IMPORT_STATES[job.state] || job.state;
      counts.textContent = counts.dataset.template.replace("{processed}", job.processed)
        .replace("{total}", job.total).replace("{succeeded}", job.succeeded).replace("{failed}", job.failed);
      if (job.state === "done" || job.state === "failed") window.location.reload();
      else setTimeout(() => pollImport(holder), 1000);
    }).catch(() => setTimeout(() => pollImport(holder), 3000));
  }

  function refreshWhileWaiting(holder) {
    const period = Number(holder.dataset.refreshWhileWaiting) || 2000;
    setTimeout(() => {
      fetch(window.location.href, {credentials: "same-origin"}).then((reply) => reply.text()).then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById(holder.id);
        if (fresh && !fresh.hasAttribute("data-refresh-while-waiting")) holder.replaceWith(fresh);
        else refreshWhileWaiting(holder);
      }).catch(() => refreshWhileWaiting(holder));
    }, period);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-copy]");
    const field = button && document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    // The clipboard API needs a secure context; on plain HTTP on a LAN the selected text is copied
    // the old way.
    const copied = navigator.clipboard && window.isSecureContext
      ? navigator.clipboard.writeText(field.value) : Promise.resolve(document.execCommand("copy"));
    copied.then(() => { button.classList.add("btn-success"); button.classList.remove("btn-outline-secondary"); })
      .catch(() => {});
  });

  setWidths(document);
  document.querySelectorAll("[data-poll-url]").forEach(pollImport);
  document.querySelectorAll("[data-refresh-while-waiting][id]").forEach(refreshWhileWaiting);
})();
