// Session page: a recording's player loads only when asked for. The page carries a
// button (hidden until this script shows it) and the player's address; pressing the
// button puts the <iframe> in its place. Without JavaScript the plain link plays the
// recording on its own site. Only the players frame-src allows are ever addressed
// (sessions/recordings.py), so nothing else could load here anyway.
(function () {
  "use strict";

  function play(box) {
    var frame = document.createElement("iframe");
    frame.src = box.getAttribute("data-player");
    frame.title = box.getAttribute("data-player-title");
    frame.className = "recording__frame";
    frame.setAttribute("allow", "autoplay; encrypted-media; fullscreen; picture-in-picture");
    frame.setAttribute("allowfullscreen", "");
    // The site sends no referrer across origins; YouTube's player refuses to start without one.
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    box.replaceChildren(frame);
    box.classList.add("recording--playing");
    frame.focus();
  }

  document.querySelectorAll(".recording[data-player]").forEach(function (box) {
    var button = box.querySelector(".recording__play");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      play(box);
    });
  });
})();
