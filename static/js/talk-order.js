// Drag and drop for the talk list of the session editor.
// The up/down buttons do the same for keyboards and screen readers; this
// file only adds the mouse way. It posts the new order with htmx, which
// carries the CSRF header set on <body>.
(function () {
  "use strict";
  let dragged = null;

  function list() {
    return document.querySelector(".talk-editor");
  }

  document.addEventListener("dragstart", function (event) {
    const card = event.target.closest && event.target.closest(".talk-card");
    if (!card) return;
    dragged = card;
    card.classList.add("talk-card--dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.talkId);
  });

  document.addEventListener("dragover", function (event) {
    const card = event.target.closest && event.target.closest(".talk-card");
    if (!dragged || !card || card === dragged) return;
    event.preventDefault();
    const box = card.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    card.parentNode.insertBefore(dragged, after ? card.nextSibling : card);
  });

  document.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("talk-card--dragging");
    dragged = null;
    const talks = list();
    const order = Array.from(talks.querySelectorAll(".talk-card")).map(function (card) {
      return card.dataset.talkId;
    });
    htmx.ajax("POST", talks.dataset.orderUrl, {
      source: talks,
      target: "#talks",
      swap: "outerHTML",
      values: { order: order },
    });
  });
})();
