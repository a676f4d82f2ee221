// Inside the embedded schedule (/<series>/embed/): tells the page around it how tall
// the list is, so static/js/embed-host.js can size the <iframe> to fit. The height is
// no secret, so it is posted to any parent; the parent checks where it came from.
(function () {
  "use strict";
  if (window.parent === window) return;
  var lastHeight = -1;

  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    window.parent.postMessage({ type: "nice-embed:height", height: height }, "*");
  }

  if ("ResizeObserver" in window) {
    new ResizeObserver(postHeight).observe(document.documentElement);
  } else {
    window.addEventListener("resize", postHeight);
  }
  window.addEventListener("load", postHeight);
  postHeight();
})();
