/* What Flask-Admin's pages write as inline JavaScript, which the Content-Security-Policy refuses:
   a confirmation before a delete (data-kesu-confirm), a list action from the "With selected" menu
   (data-kesu-action), a new row of an inline list such as a case's goods (data-kesu-add-inline), and the
   placeholder links (href="javascript:void(0)") that do nothing by design and
   here do nothing without running a javascript: URL. */
(function () {
  "use strict";

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
    var inline = event.target.closest("[data-kesu-add-inline]");
    if (inline) {
      event.preventDefault();
      window.faForm.addInlineField(inline, inline.getAttribute("data-kesu-add-inline"));
      return;
    }
    if (event.target.closest('a[href^="javascript:"]')) {
      event.preventDefault();
    }
  }, true);  // capturing: Bootstrap's menus stop the click before it would bubble up here
})();
