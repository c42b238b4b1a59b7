// The person page's photo upload: the chosen photo is judged at once by the platform (the API's
// /photos/assess/, the boxes' own face engine) and its verdict shown before anything is sent;
// a photo the boxes would refuse asks for "add it anyway" before the form may be sent.
(function () {
  "use strict";
  const form = document.getElementById("photo-upload");
  if (!form) return;
  const gettext = window.gettext || ((text) => text);
  const input = form.querySelector("input[type=file]");
  const verdict = document.getElementById("photo-verdict");
  const anyway = document.getElementById("id_anyway");
  const LABELS = {pass: [gettext("good"), "text-bg-success"], warn: [gettext("usable"), "text-bg-warning"],
    fail: [gettext("boxes refuse it"), "text-bg-danger"], unknown: [gettext("not assessed"), "text-bg-secondary"]};

  function show(kind, reason) {
    const [label, style] = LABELS[kind] || LABELS.unknown;
    const badge = document.createElement("span");
    badge.className = `badge ${style}`;
    badge.dataset.quality = kind;
    badge.textContent = label;
    verdict.replaceChildren(badge, document.createTextNode(" " + reason));
    verdict.hidden = false;
  }

  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    show("unknown", gettext("Checking the photo…"));
    const body = new FormData();
    body.append("photo", file);
    try {
      const response = await fetch(form.dataset.assessUrl, {method: "POST", body, credentials: "same-origin",
        headers: {"X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value, Accept: "application/json"}});
      const answer = await response.json();
      if (response.ok) show(answer.badge.kind, answer.badge.reason);
      else show("fail", (answer.photo || [gettext("This photo cannot be used.")])[0]);
    } catch (error) {
      show("unknown", gettext("The photo could not be checked now; it is checked when added."));
    }
  });

  form.addEventListener("submit", (event) => {
    const failed = verdict.querySelector("[data-quality=fail]");
    if (failed && !anyway.checked) {
      event.preventDefault();
      anyway.focus();
      verdict.append(document.createTextNode(" " + gettext("Tick \"add it anyway\" to keep it all the same.")));
    }
  });
})();
