/* The case form's repeat-complainant hint (重复投诉): as the clerk types a new customer's name or phone, the
   customers on file that match are offered, each with their open cases; "use this customer" chooses them in the
   customer box (and clears the new customer's fields). Choosing a customer in that box shows their open cases
   too. The look-up address is the fields' data-kesu-repeat-url; texts come from the server, already translated;
   everything is written with textContent, never as HTML. */
(function () {
  "use strict";

  var fields = document.querySelectorAll("[data-kesu-repeat-url]");
  if (!fields.length) {
    return;
  }
  var url = fields[0].getAttribute("data-kesu-repeat-url");
  var customerBox = document.getElementById("customer");
  var panel = document.createElement("div");
  panel.className = "kesu-repeat-hint mb-3";
  panel.setAttribute("aria-live", "polite");
  var anchor = fields[fields.length - 1].closest(".form-group") || fields[fields.length - 1];
  anchor.parentNode.insertBefore(panel, anchor.nextSibling);
  var timer = null;
  var asked = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function choose(customer) {
    if (window.jQuery && customerBox) {
      window.jQuery(customerBox).select2("data", {id: customer.id, text: customer.text});
    }
    fields.forEach(function (field) { field.value = ""; });
    ask("customer_id=" + encodeURIComponent(customer.id), false);
  }

  function show(answer, offer) {
    panel.textContent = "";
    answer.customers.forEach(function (customer) {
      var card = element("div", "card card-body py-2 mb-2" + (customer.open_cases.length ? " border-warning" : ""));
      var head = element("div", "");
      var name = element("a", "font-weight-bold", customer.name);
      name.href = customer.url;
      name.target = "_blank";
      head.appendChild(name);
      head.appendChild(element("span", "ml-2 text-muted", [customer.contact_person, customer.phone].join(" ")));
      if (offer) {
        var use = element("button", "btn btn-sm btn-outline-primary ml-2", answer.use);
        use.type = "button";
        use.addEventListener("click", function () { choose(customer); });
        head.appendChild(use);
      }
      card.appendChild(head);
      card.appendChild(element("div", customer.open_cases.length ? "text-danger small" : "text-muted small",
                               customer.hint));
      if (customer.open_cases.length) {
        var list = element("ul", "small mb-0");
        customer.open_cases.forEach(function (item) {
          var line = element("li", "");
          var link = element("a", "", item.case_no);
          link.href = item.url;
          link.target = "_blank";
          line.appendChild(link);
          line.appendChild(document.createTextNode(" " + item.status + " · " + item.received_at + " · " + item.title));
          list.appendChild(line);
        });
        card.appendChild(list);
      }
      panel.appendChild(card);
    });
  }

  function ask(query, offer) {
    var mine = ++asked;
    fetch(url + "?" + query, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {customers: []}; })
      .then(function (answer) { if (mine === asked) { show(answer, offer); } })
      .catch(function () { panel.textContent = ""; });
  }

  fields.forEach(function (field) {
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      var text = field.value.trim();
      if (text.length < 2) {
        asked++;
        panel.textContent = "";
        return;
      }
      timer = window.setTimeout(function () { ask("q=" + encodeURIComponent(text), true); }, 300);
    });
  });

  if (window.jQuery && customerBox) {
    window.jQuery(customerBox).on("change", function () {
      if (customerBox.value) {
        ask("customer_id=" + encodeURIComponent(customerBox.value), false);
      } else {
        panel.textContent = "";
      }
    });
  }
})();
