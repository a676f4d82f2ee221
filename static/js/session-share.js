// The session page's sharing helpers (no inline script: the CSP forbids it).
// 1. "Copy announcement": copies the text of the announcement's <textarea>. Without
//    JavaScript the button stays hidden and the text is there to select.
// 2. "Your time": the start (and end) in the visitor's own zone, shown only when
//    it reads differently from the series' zone.
(function () {
  "use strict";

  function copyText(textarea) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(textarea.value);
    }
    // Plain http (a lab's intranet): the older way still works there.
    textarea.closest("details").open = true;
    textarea.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject();
  }

  function setUpCopy(button) {
    var textarea = document.getElementById(button.dataset.copyFrom);
    var status = button.parentElement.querySelector(".announcement__status");
    if (!textarea) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(textarea).then(
        function () { status.textContent = button.dataset.copied; },
        function () {
          textarea.closest("details").open = true;
          textarea.select();
          status.textContent = button.dataset.failed;
        }
      );
    });
  }

  function formatted(date, timeZone, withDate) {
    var options = { timeZone: timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withDate) {
      options.weekday = "short";
      options.year = "numeric";
      options.month = "short";
      options.day = "numeric";
    }
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options).format(date);
  }

  function dayOf(date, timeZone) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: timeZone, dateStyle: "short" }).format(date);
  }

  function setUpYourTime(line) {
    var visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var start = new Date(line.dataset.start);
    if (!visitorZone || isNaN(start)) return;
    var seriesZone = line.dataset.zone;
    // Same wall-clock reading (same zone, or another with the same offset that day): nothing to add.
    if (formatted(start, visitorZone, true) === formatted(start, seriesZone, true)) return;
    var text = formatted(start, visitorZone, true);
    if (line.dataset.end) {
      var end = new Date(line.dataset.end);
      text += "–" + formatted(end, visitorZone, dayOf(end, visitorZone) !== dayOf(start, visitorZone));
    }
    line.querySelector(".your-time__value").textContent = text + " (" + visitorZone + ")";
    line.hidden = false;
  }

  function init() {
    document.querySelectorAll("[data-copy-from]").forEach(setUpCopy);
    document.querySelectorAll("[data-your-time]").forEach(setUpYourTime);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
