// The Strangers page: when the faces worker groups new stranger events (a "strangers" live
// message, faces/clustering.py), offer to show them rather than reshuffling the grid under the
// administrator's pointer (they may be ticking strangers to merge).
(function () {
  "use strict";
  const notice = document.getElementById("strangers-live");
  if (!notice) return;
  document.addEventListener("console:update", (event) => {
    if (event.detail.kind === "strangers") notice.classList.remove("d-none");
  });
})();
