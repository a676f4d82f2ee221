// A formula too wide for the screen scrolls in its own box (site.css, "math on a phone"):
// keyboard users reach such a box with Tab, and only such boxes, so formulas that fit
// add no tab stops. Display math always has tabindex (nice/markdown.py).
(function () {
  "use strict";

  function mark() {
    document.querySelectorAll(".prose .math.inline").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
      } else {
        box.removeAttribute("tabindex");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
  document.addEventListener("htmx:afterSettle", mark);
})();
