// Signature pad: records strokes as points (in a 600x200 box) into a hidden input.
// No markup leaves the browser; the server draws the SVG from the numbers.
(function () {
  "use strict";
  function setup(canvas) {
    var input = document.getElementById(canvas.dataset.signatureFor);
    var ctx = canvas.getContext("2d");
    var strokes = [], current = null;
    function resize() {
      var r = canvas.getBoundingClientRect();
      canvas.width = r.width; canvas.height = r.height;
      redraw();
    }
    function point(e) {
      var r = canvas.getBoundingClientRect();
      return [Math.round((e.clientX - r.left) / r.width * 600 * 10) / 10,
              Math.round((e.clientY - r.top) / r.height * 200 * 10) / 10];
    }
    function redraw() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
      strokes.forEach(function (s) {
        ctx.beginPath();
        s.forEach(function (p, i) {
          var x = p[0] / 600 * canvas.width, y = p[1] / 200 * canvas.height;
          if (i === 0) { ctx.moveTo(x, y); } else { ctx.lineTo(x, y); }
        });
        ctx.stroke();
      });
      input.value = JSON.stringify(strokes);
    }
    canvas.addEventListener("pointerdown", function (e) {
      canvas.setPointerCapture(e.pointerId);
      current = [point(e)]; strokes.push(current); redraw();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (current) { current.push(point(e)); redraw(); }
    });
    ["pointerup", "pointercancel"].forEach(function (t) {
      canvas.addEventListener(t, function () { current = null; });
    });
    var clear = document.querySelector("[data-signature-clear='" + canvas.id + "']");
    if (clear) {
      clear.addEventListener("click", function () { strokes = []; redraw(); });
    }
    window.addEventListener("resize", resize);
    resize();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-signature-for]").forEach(setup);
  });
})();
