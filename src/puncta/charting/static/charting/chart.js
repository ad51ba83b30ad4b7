/* The chart at the chair: a zone chosen on the map (or linked to) opens "add a zone" so
   its row is in view and its depth takes the focus; no text of its own (CSP, i18n). */
(function () {
  "use strict";
  function reveal(hash) {
    if (!hash || hash.indexOf("#zone-") !== 0) { return; }
    var row = document.getElementById(hash.slice(1));
    if (!row) { return; }
    var box = row.closest("details");
    if (box) { box.open = true; }
    var depth = row.querySelector("input[name^='depth-']");
    if (depth) { depth.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    reveal(window.location.hash);
    document.addEventListener("click", function (e) {
      var link = e.target.closest ? e.target.closest("a[href^='#zone-']") : null;
      if (link) { reveal(link.getAttribute("href")); }
    });
  });
  window.addEventListener("hashchange", function () { reveal(window.location.hash); });
})();
