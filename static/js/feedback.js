// The event page's "This is …": people matching what is typed (name or identity_id) are offered
// from the people API as the administrator types; the chosen person's identity_id is sent.
(function () {
  "use strict";
  const input = document.getElementById("feedback-person");
  if (!input) return;
  const list = document.getElementById("feedback-people");
  const help = document.getElementById("feedback-person-help");
  const hint = help.textContent;
  const names = new Map();
  let timer = null;
  let asked = "";

  async function offer(text) {
    asked = text;
    const url = `${input.dataset.searchUrl}?search=${encodeURIComponent(text)}&limit=10`;
    const response = await fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"});
    if (!response.ok || text !== asked) return;
    const body = await response.json();
    list.replaceChildren(...(body.results || []).map((person) => {
      names.set(person.identity_id, person.name);
      const option = document.createElement("option");
      option.value = person.identity_id;
      option.label = `${person.name} (${person.identity_id})`;
      return option;
    }));
  }

  input.addEventListener("input", () => {
    const text = input.value.trim();
    help.textContent = names.has(text) ? `→ ${names.get(text)}` : hint;
    clearTimeout(timer);
    if (text && text !== asked) timer = setTimeout(() => offer(text), 200);
  });
})();
