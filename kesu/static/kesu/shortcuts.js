/* Keyboard shortcuts of the panel (README, "Keyboard shortcuts"):
   "/"               focuses the search box: an element marked data-kesu-search (the top-bar search), else the
                     list's own search box;
   j or ArrowDown    moves to the next row of a list, k or ArrowUp to the previous one (arrows only once a row is
                     selected, so they still scroll the page otherwise);
   Enter             opens the selected row: its first link marked data-kesu-open.
   A row is the table row (or the element marked data-kesu-row) around a data-kesu-open link, so a list such as
   the inbox takes part by marking its links. Nothing happens while typing in a field or with Ctrl, Alt or Meta. */
(function () {
  "use strict";

  var SEARCH = "[data-kesu-search]";
  var LIST_SEARCH = "form[role=search] input[name=search]";

  function typing(target) {
    return target.closest("textarea, select, [contenteditable], input:not([type=checkbox]):not([type=radio])" +
      ":not([type=submit]):not([type=button])") !== null;
  }

  function rows() {
    var found = [];
    document.querySelectorAll("[data-kesu-open]").forEach(function (link) {
      var row = link.closest("[data-kesu-row], tr");
      if (row && found.indexOf(row) === -1) {
        found.push(row);
      }
    });
    return found;
  }

  function select(row) {
    document.querySelectorAll(".kesu-current").forEach(function (other) {
      other.classList.remove("kesu-current");
    });
    row.classList.add("kesu-current");
    if (!row.hasAttribute("tabindex")) {
      row.setAttribute("tabindex", "-1");
    }
    row.focus();
  }

  function move(step, onlyFromARow) {
    var all = rows();
    var current = all.indexOf(document.activeElement);
    if (all.length === 0 || (onlyFromARow && current === -1)) {
      return false;
    }
    var next = current === -1 ? (step > 0 ? 0 : all.length - 1) : current + step;
    select(all[Math.max(0, Math.min(all.length - 1, next))]);
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented || typing(event.target)) {
      return;
    }
    var handled = false;
    if (event.key === "/") {
      var search = document.querySelector(SEARCH) || document.querySelector(LIST_SEARCH);
      if (search) {
        search.focus();
        search.select();
        handled = true;
      }
    } else if (event.key === "j" || event.key === "k") {
      handled = move(event.key === "j" ? 1 : -1, false);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      handled = move(event.key === "ArrowDown" ? 1 : -1, true);
    } else if (event.key === "Enter" && rows().indexOf(document.activeElement) !== -1) {
      var link = document.activeElement.querySelector("[data-kesu-open]");
      window.location.assign(link.href);
      handled = true;
    }
    if (handled) {
      event.preventDefault();
    }
  });
})();
