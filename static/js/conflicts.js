// A save refused because someone else changed the session meanwhile answers
// 409 Conflict with the form (the organizer's input kept) and what changed.
// htmx leaves 4xx answers unswapped by default; swap this one in like a success.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
