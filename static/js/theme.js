// Light or dark theme (Bootstrap's data-bs-theme on <html>): the system's setting unless the
// operator chose one in the theme menu, kept in localStorage. Loaded in <head>, before the
// styles, so the page is never painted in the other theme first.
(function () {
  "use strict";
  const KEY = "console-theme";
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  const ICONS = {light: "bi-sun-fill", dark: "bi-moon-stars-fill", auto: "bi-circle-half"};

  function stored() {
    try { return localStorage.getItem(KEY) || "auto"; } catch (error) { return "auto"; }
  }

  function apply(choice) {
    const theme = choice === "auto" ? (system.matches ? "dark" : "light") : choice;
    document.documentElement.dataset.bsTheme = theme;
    document.documentElement.dataset.themeChoice = choice;
    document.querySelectorAll("[data-theme-choice]").forEach((item) => {
      const chosen = item.dataset.themeChoice === choice;
      item.classList.toggle("active", chosen);
      item.setAttribute("aria-pressed", String(chosen));
    });
    const icon = document.querySelector("[data-theme-icon]");
    if (icon) icon.className = "bi " + (ICONS[choice] || ICONS.auto);
  }

  apply(stored());
  system.addEventListener("change", () => { if (stored() === "auto") apply("auto"); });
  document.addEventListener("DOMContentLoaded", () => apply(stored()));
  document.addEventListener("click", (event) => {
    const item = event.target.closest && event.target.closest("[data-theme-choice]");
    if (!item) return;
    try { localStorage.setItem(KEY, item.dataset.themeChoice); } catch (error) { /* private mode: this page only */ }
    apply(item.dataset.themeChoice);
  });
})();
