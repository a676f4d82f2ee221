// For a page that embeds a nice schedule: <iframe data-nice-embed src=".../embed/">.
// Sets each such frame's height to what the frame reports (static/js/embed-frame.js),
// accepting a message only from that frame's own window and origin. It also drops the
// frame's border, so the snippet needs no style attribute (a host with a strict CSP may
// refuse inline styles).
(function () {
  "use strict";
  var MAX_HEIGHT = 10000;

  function frameless() {
    var frames = document.querySelectorAll("iframe[data-nice-embed]");
    for (var i = 0; i < frames.length; i++) frames[i].style.border = "0";
  }
  frameless();
  document.addEventListener("DOMContentLoaded", frameless);

  function originOf(frame) {
    try {
      return new URL(frame.src, document.baseURI).origin;
    } catch (error) {
      return null;
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "nice-embed:height" || typeof data.height !== "number") return;
    var frames = document.querySelectorAll("iframe[data-nice-embed]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source || originOf(frame) !== event.origin) continue;
      frame.style.height = Math.max(0, Math.min(Math.ceil(data.height), MAX_HEIGHT)) + "px";
    }
  });
})();
