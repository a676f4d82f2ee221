// The header search box's suggestions (fetched by htmx as you type): arrow keys move
// through them, Enter opens the one chosen, Escape closes the list. Without
// JavaScript the box is a plain form that opens the search page.
(function () {
  "use strict";

  function setup() {
    var input = document.getElementById("site-search");
    var box = document.getElementById("search-suggestions");
    if (!input || !box) return;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(box.querySelectorAll("[role=option]"));
    }

    function show(index) {
      var all = options();
      all.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      box.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      show(-1);
    }

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target !== box) return;
      input.setAttribute("aria-expanded", options().length ? "true" : "false");
      show(-1);
    });

    input.addEventListener("keydown", function (event) {
      var all = options();
      if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        show(active + 1 < all.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp" && all.length) {
        event.preventDefault();
        show(active > 0 ? active - 1 : all.length - 1);
      } else if (event.key === "Enter" && active >= 0 && all[active]) {
        event.preventDefault();
        window.location.assign(all[active].href);
      } else if (event.key === "Escape") {
        close();
      }
    });

    document.addEventListener("click", function (event) {
      if (!box.contains(event.target) && event.target !== input) close();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
