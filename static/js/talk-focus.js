// Session editor: after htmx swaps the talks in, keyboard focus goes where the server
// said (data-focus on #talks: the moved talk's same button, a new talk, the neighbour of
// a removed one, the field with an error) and the live region says what happened
// (data-announce). Without such a word focus is left alone.
(function () {
  "use strict";

  function focusTarget(id) {
    var target = document.getElementById(id);
    if (!target) return null;
    if (!target.disabled) return target;
    // A talk moved to the top or the bottom: its pressed button is now disabled, so focus
    // takes the other one, or the talk's title when it is the only talk.
    var card = target.closest(".talk-card");
    if (!card) return null;
    return card.querySelector(".talk-card__moves button:not([disabled])") ||
      card.querySelector(".talk-card__title");
  }

  function announce(text) {
    var region = document.getElementById("talks-status");
    if (!region || !text) return;
    // Emptied first, so the same words twice ("moved to position 2") are said twice.
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  // Any settle will do: the words are taken off once used, and only a talks fragment
  // brings new ones.
  document.addEventListener("htmx:afterSettle", function () {
    var talks = document.getElementById("talks");
    if (!talks) return;
    var focusId = talks.getAttribute("data-focus");
    if (focusId) {
      talks.removeAttribute("data-focus");
      var target = focusTarget(focusId);
      if (target) target.focus();
    }
    var words = talks.getAttribute("data-announce");
    if (words) {
      talks.removeAttribute("data-announce");
      announce(words);
    }
  });
})();
