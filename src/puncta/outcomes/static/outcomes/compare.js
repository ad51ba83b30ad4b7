// Before/after slider: the "before" photograph is clipped to the range's position over
// the "after" one. Without script the side-by-side list below still shows every photo.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-compare]");
    var range = document.querySelector("[data-compare-range]");
    if (!box || !range) { return; }
    var clip = box.querySelector("[data-compare-clip]");
    var inner = clip.querySelector("img");
    function update() {
      clip.style.width = range.value + "%";
      inner.style.width = box.clientWidth + "px";
      box.dataset.position = range.value;
    }
    range.addEventListener("input", update);
    window.addEventListener("resize", update);
    box.classList.add("active");
    update();
  });
})();
