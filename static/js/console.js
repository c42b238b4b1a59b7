// Console behaviour declared in the markup with data- attributes, so that pages need no
// inline script or style (the Content-Security-Policy runs none):
//   <form data-confirm="Delete X?">            asks before submitting
//   <input type="file" data-preview="img-id">   shows the chosen photo in that <img>
//   <div data-percent="40">                     sets the element's width to 40 %
//   <div data-poll-url="/status/" ...>          import progress, polled every second
(function () {
  "use strict";

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
      state.textContent = job.state;
      counts.textContent = counts.dataset.template.replace("{processed}", job.processed)
        .replace("{total}", job.total).replace("{succeeded}", job.succeeded).replace("{failed}", job.failed);
      if (job.state === "done" || job.state === "failed") window.location.reload();
      else setTimeout(() => pollImport(holder), 1000);
    }).catch(() => setTimeout(() => pollImport(holder), 3000));
  }

  setWidths(document);
  document.querySelectorAll("[data-poll-url]").forEach(pollImport);
})();
