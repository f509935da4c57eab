/* What Flask-Admin's pages write as inline JavaScript, which the Content-Security-Policy refuses:
   a confirmation before a delete (data-kesu-confirm), a list action from the "With selected" menu
   (data-kesu-action), and the placeholder links (href="javascript:void(0)", onclick="return false;")
   that do nothing by design and here do nothing without running inline code. */
(function () {
  "use strict";

  document.querySelectorAll('[onclick="return false;"]').forEach(function (element) {
    element.removeAttribute("onclick");
  });

  document.addEventListener("click", function (event) {
    var confirmed = event.target.closest("[data-kesu-confirm]");
    if (confirmed && !window.confirm(confirmed.getAttribute("data-kesu-confirm"))) {
      event.preventDefault();
      return;
    }
    var action = event.target.closest("[data-kesu-action]");
    if (action) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-kesu-action"));
      return;
    }
    if (event.target.closest('a[href^="javascript:"]')) {
      event.preventDefault();
    }
  });
})();
