// Keyboard for the paper-list review page: each unsure character is a fieldset
// of radio buttons (which already work with a click, or Tab and the arrows).
// This adds one key per choice: 1-9 pick that candidate and move to the next
// character; n / p (or j / k) move without choosing. The highlighted character
// in the context follows the choice.
(function () {
  "use strict";

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("#paper-review .unsure"));
  }

  function show(fieldset) {
    const picked = fieldset.querySelector("input[type=radio]:checked");
    const mark = fieldset.querySelector(".unsure__mark");
    if (picked && mark) mark.textContent = picked.value;
    fieldset.classList.toggle("unsure--changed", picked !== fieldset.querySelector("input[type=radio]"));
  }

  function move(from, step) {
    const all = items();
    const next = all[all.indexOf(from) + step];
    if (next) {
      next.focus();
      next.scrollIntoView({ block: "nearest" });
    }
  }

  document.addEventListener("change", function (event) {
    const fieldset = event.target.closest && event.target.closest("#paper-review .unsure");
    if (fieldset) show(fieldset);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const fieldset = event.target.closest && event.target.closest("#paper-review .unsure");
    if (!fieldset) return;
    if (/^[1-9]$/.test(event.key)) {
      const choice = fieldset.querySelectorAll("input[type=radio]")[Number(event.key) - 1];
      if (!choice) return;
      event.preventDefault();
      choice.checked = true;
      show(fieldset);
      move(fieldset, 1);
    } else if (event.key === "n" || event.key === "j") {
      event.preventDefault();
      move(fieldset, 1);
    } else if (event.key === "p" || event.key === "k") {
      event.preventDefault();
      move(fieldset, -1);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    const first = items()[0];
    if (first) first.focus();
  });
})();
