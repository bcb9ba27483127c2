// Keyboard shortcuts for the queue page. Everything here is optional: without
// JavaScript every action is a plain form post. No inline handlers anywhere.
// j/k next/previous candidate · a accept · r reject · d defer · m move (focus the
// chapter picker; Enter moves) · u undo the newest decision · o open the link.
(function () {
  "use strict";
  var KEY = "tracker-queue-position";

  function cards() { return Array.prototype.slice.call(document.querySelectorAll("article.cand")); }

  function select(index) {
    var all = cards();
    if (!all.length) { return -1; }
    index = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (card, i) {
      card.classList.toggle("current", i === index);
      if (i === index) { card.setAttribute("aria-current", "true"); } else { card.removeAttribute("aria-current"); }
    });
    all[index].focus({ preventScroll: true });
    all[index].scrollIntoView({ block: "nearest" });
    return index;
  }

  function current() {
    var all = cards();
    for (var i = 0; i < all.length; i++) { if (all[i].classList.contains("current")) { return i; } }
    return -1;
  }

  function remember(index) {
    try { sessionStorage.setItem(KEY, String(index)); } catch (e) { /* storage off: start at the top */ }
  }

  function submit(button) {
    if (!button) { return; }
    remember(current());
    if (button.form.requestSubmit) { button.form.requestSubmit(button); } else { button.click(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.page !== "queue") { return; }
    var start = 0;
    try { start = parseInt(sessionStorage.getItem(KEY) || "0", 10) || 0; } catch (e) { start = 0; }
    select(start);
    cards().forEach(function (card, i) {
      card.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, summary, label")) { return; }
        select(i);
      });
    });
  });

  document.addEventListener("keydown", function (event) {
    if (document.body.dataset.page !== "queue" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) {
      if (event.key === "Escape") { target.blur(); var i = current(); if (i >= 0) { select(i); } }
      return;
    }
    var index = current();
    var card = cards()[index];
    switch (event.key) {
      case "j": select(index + 1); break;
      case "k": select(index - 1); break;
      case "a": case "r": case "d":
        if (card) { submit(card.querySelector('button[data-key="' + event.key + '"]')); }
        break;
      case "m":
        if (card) { var input = card.querySelector('input[data-key="m"]'); if (input) { input.focus(); } }
        break;
      case "u": submit(document.querySelector('button[data-key="u"]')); break;
      case "o":
        if (card) { var link = card.querySelector("a.open"); if (link) { window.open(link.href, "_blank", "noopener"); } }
        break;
      default: return;
    }
    event.preventDefault();
  });
}());
