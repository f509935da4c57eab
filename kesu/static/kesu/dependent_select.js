/* A select that depends on another of its form (data-kesu-depends-on names it), such as a dialog's handler on its
   department: only the options tagged with the chosen value (data-department) are offered (none before a
   department is chosen), and a choice that no longer fits is cleared; the "please choose" option (no tag) stays.
   Without this script every option is shown, and the server refuses a handler of another department with a
   message. */
(function () {
  "use strict";

  function narrow(select, chosen) {
    Array.prototype.forEach.call(select.options, function (option) {
      var tag = option.getAttribute("data-department");
      var fits = tag === null || tag === chosen;
      option.hidden = !fits;
      option.disabled = !fits;
    });
    var current = select.options[select.selectedIndex];
    if (current && current.disabled) {
      select.value = "";
    }
  }

  document.querySelectorAll("select[data-kesu-depends-on]").forEach(function (select) {
    var master = select.form && select.form.elements.namedItem(select.getAttribute("data-kesu-depends-on"));
    if (!master) {
      return;
    }
    narrow(select, master.value);
    master.addEventListener("change", function () { narrow(select, master.value); });
  });
})();
