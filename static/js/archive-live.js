// Archive: after htmx swaps in sessions (a filter chip or "More sessions"), move focus to
// the first new card and announce how many are shown. The server writes the sentence,
// translated, in the swapped HTML ([data-announce]); this only moves it into the live region.
(function () {
  "use strict";

  var cardsBefore = 0;
  var loadedMore = false;

  function cards() {
    return document.querySelectorAll("#session-list .card");
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    loadedMore = Boolean(source && source.classList && source.classList.contains("more"));
    cardsBefore = cards().length;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var region = document.getElementById("archive-announcer");
    var list = document.getElementById("session-list");
    if (!region || !list) {
      return;
    }
    var all = cards();
    var first = all[loadedMore ? cardsBefore : 0];
    var link = first && first.querySelector(".card__title a");
    if (link) {
      link.focus();
    }
    var markers = list.querySelectorAll("[data-announce]");
    if (markers.length) {
      region.textContent = markers[markers.length - 1].getAttribute("data-announce");
    }
  });
})();
