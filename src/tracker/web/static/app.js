// Keyboard shortcuts for the queue page. Everything here is optional: without
// JavaScript every action is a plain form post. No inline handlers anywhere.
// j/k next/previous candidate · a accept · r reject · d defer · m move (focus the
// chapter picker; Enter moves) · u undo the newest decision · o open the link.
//
// Which card is selected after a decision: every decision or undo posts a form and
// comes back to the queue as a new page. Just before the form goes (whether a key or
// the mouse sent it) the page leaves, for the page the form returns to (its "back"
// field), the cards to select in order of preference: the decided card (still there
// when it was moved or the decision was refused), then the cards after it, then the
// ones before it; an undo names the candidate it brings back first. The new page takes
// the first of them it shows, once. A reload or the back button keeps the card that was
// selected on that page (history.state); any other page starts at its first card.
(function () {
  "use strict";
  var KEY = "tracker-queue-next";

  function cards() { return Array.prototype.slice.call(document.querySelectorAll("article.cand")); }

  function here() { return location.pathname + location.search; }

  function makeRoom() {
    // the messages stay at the top of the window (sticky): scrolling a card into view
    // leaves it below them
    var messages = document.querySelector(".messages");
    document.documentElement.style.scrollPaddingTop = messages ? (messages.offsetHeight + 8) + "px" : "";
  }

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
    try { history.replaceState({ card: all[index].dataset.id }, ""); } catch (e) { /* no history: fine */ }
    return index;
  }

  function current() {
    var all = cards();
    for (var i = 0; i < all.length; i++) { if (all[i].classList.contains("current")) { return i; } }
    return -1;
  }

  function indexOf(id) {
    var all = cards();
    for (var i = 0; i < all.length; i++) { if (all[i].dataset.id === String(id)) { return i; } }
    return -1;
  }

  function leave(form) {
    // the preference list for the page this form returns to (see the top of this file)
    var back = form.querySelector('input[name="back"]');
    var all = cards().map(function (card) { return card.dataset.id; });
    var card = form.closest("article.cand");
    var at = card ? all.indexOf(card.dataset.id) : current();
    var undone = /\/candidates\/(\d+)\/undo$/.exec(form.getAttribute("action") || "");
    var ids = (undone ? [undone[1]] : []).concat(at < 0 ? all : all.slice(at).concat(all.slice(0, at).reverse()));
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ page: back ? back.value : here(), ids: ids }));
    } catch (e) { /* storage off: the new page starts at its first card */ }
  }

  function arrival() {
    // the card this page starts on: a decision's preference list, else this history entry's card
    var wanted = [];
    try {
      var left = JSON.parse(sessionStorage.getItem(KEY) || "null");
      sessionStorage.removeItem(KEY);
      if (left && left.page === here() && Array.isArray(left.ids)) { wanted = left.ids; }
    } catch (e) { wanted = []; }
    if (!wanted.length && history.state && history.state.card) { wanted = [history.state.card]; }
    for (var i = 0; i < wanted.length; i++) {
      var found = indexOf(wanted[i]);
      if (found >= 0) { return found; }
    }
    return 0;
  }

  function submit(button) {
    if (!button) { return; }
    if (button.form.requestSubmit) { button.form.requestSubmit(button); } else { button.click(); }
  }

  // a note from the page itself, where the server's messages are (sticky at the top)
  function say(text) {
    var main = document.querySelector("main");
    var box = main.querySelector(":scope > .messages");
    if (!box) {
      box = document.createElement("div");
      box.className = "messages";
      box.setAttribute("role", "status");
      main.insertBefore(box, main.firstChild);
    }
    var note = box.querySelector("p.msg.said");
    if (!note) { note = document.createElement("p"); note.className = "msg error said"; box.appendChild(note); }
    note.textContent = text;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.page !== "queue") { return; }
    makeRoom();
    select(arrival());
    cards().forEach(function (card, i) {
      card.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, summary, label")) { return; }
        select(i);
      });
    });
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.closest("article.cand, aside.recent")) { leave(form); }
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
      case "u":
        var undo = document.querySelector('button[data-key="u"]');
        if (undo) { submit(undo); } else { say("Nothing to undo: no decision is listed under \u201cDecided recently\u201d."); }
        break;
      case "o":
        if (card) { var link = card.querySelector("a.open"); if (link) { window.open(link.href, "_blank", "noopener"); } }
        break;
      default: return;
    }
    event.preventDefault();
  });
}());
