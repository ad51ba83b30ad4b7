// Capture with the baseline as a translucent overlay: the chosen photograph (camera or
// file) is previewed under the baseline of the same view so the framing can be matched
// before it is sent. No inline script or style: the CSP forbids both; CSSOM is allowed.
(function () {
  "use strict";
  function frameFor(input) {
    var field = input.closest(".field");
    return (field && field.querySelector("[data-capture-frame]")) ||
      document.querySelector("[data-capture-frame]");
  }
  function setOverlay(overlay, src) {
    if (src) {
      if (overlay.getAttribute("src") !== src) { overlay.src = src; }
      overlay.hidden = false;
    } else {
      overlay.removeAttribute("src");
      overlay.hidden = true;
    }
  }
  function opacity() {
    var range = document.querySelector("[data-overlay-opacity]");
    return range ? Number(range.value) / 100 : 0.4;
  }
  // The live camera, where the browser has one: the baseline overlay sits on the live
  // picture (a phone's own camera app, opened by the file input, cannot show it). The
  // shot becomes the input's file, so the form sends it like any chosen photograph.
  function camera(input, frame, preview, refresh) {
    function find(selector) {
      var field = input.closest(".field");
      return (field && field.querySelector(selector)) ||
        (input.form && input.form.querySelector(selector));
    }
    var start = find("[data-camera-start]");
    var shoot = find("[data-camera-shoot]");
    var video = frame.querySelector("[data-capture-video]");
    if (!start || !shoot || !video || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia || typeof DataTransfer === "undefined") {
      return;
    }
    var stream = null;
    function stop() {
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
      stream = null;
      video.hidden = true;
      shoot.hidden = true;
    }
    start.hidden = false;
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false})
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.hidden = false;
          preview.hidden = true;
          shoot.hidden = false;
          refresh();
          return video.play();
        })
        .catch(function () { stop(); start.disabled = true; });
    });
    shoot.addEventListener("click", function () {
      if (!stream || !video.videoWidth) { return; }
      var canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob(function (blob) {
        var files = new DataTransfer();
        files.items.add(new File([blob], "camera.jpg", {type: "image/jpeg"}));
        input.files = files.files;
        stop();
        input.dispatchEvent(new Event("change"));
      }, "image/jpeg", 0.92);
    });
  }
  function setup(input) {
    var frame = frameFor(input);
    if (!frame) { return; }
    var preview = frame.querySelector("[data-capture-preview]");
    var overlay = frame.querySelector("[data-capture-overlay]");
    var empty = frame.querySelector("[data-capture-empty]");
    var select = input.form && input.form.querySelector("[data-overlay-select]");
    function baseline() {
      if (select) {
        var span = document.querySelector('[data-baseline-for="' + select.value + '"]');
        return span ? span.dataset.src : "";
      }
      return overlay.dataset.src || "";
    }
    function refresh() {
      setOverlay(overlay, baseline());
      overlay.style.opacity = String(opacity());
      frame.classList.toggle("has-overlay", !overlay.hidden);
    }
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { preview.hidden = true; refresh(); return; }
      // A data: URL, not a blob: one: the CSP allows images from 'self' and data: only.
      var reader = new FileReader();
      reader.onload = function () {
        preview.src = reader.result;
        preview.hidden = false;
        if (empty) { empty.hidden = true; }
        refresh();
      };
      reader.readAsDataURL(file);
    });
    camera(input, frame, preview, refresh);
    if (select) { select.addEventListener("change", refresh); }
    var range = document.querySelector("[data-overlay-opacity]");
    if (range) { range.addEventListener("input", refresh); }
    refresh();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-capture-input]").forEach(setup);
  });
})();
