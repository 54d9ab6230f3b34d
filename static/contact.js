// While the customer types, suggest the matching incident; without JavaScript the same happens
// after submit. Nothing here blocks the form.
(function () {
  "use strict";
  var form = document.getElementById("contact-form");
  var box = document.getElementById("suggestion");
  if (!form || !box || !window.fetch) { return; }
  var timer = null;
  var last = "";
  function value(name) {
    var field = form.elements[name];
    return field ? field.value : "";
  }
  function ask() {
    var payload = {
      service: value("service") || null, subject: value("subject"), message: value("message"),
      domain: value("domain") || null, lang: value("lang")
    };
    var key = JSON.stringify(payload);
    if (key === last || (payload.subject + payload.message).length < 12) { return; }
    last = key;
    fetch(form.dataset.matchUrl, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: key
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.proposal) { box.hidden = true; box.textContent = ""; return; }
        var match = data.matches.filter(function (m) { return m.incident_id === data.proposal; })[0];
        if (!match) { box.hidden = true; box.textContent = ""; return; }
        box.textContent = "";
        var text = document.createElement("p");
        text.textContent = box.dataset.intro || (document.documentElement.lang === "fr"
          ? "Cela ressemble à un incident connu, sur lequel nos équipes travaillent déjà :"
          : "This looks like a known incident our engineers are already working on:");
        var link = document.createElement("a");
        link.href = "/incidents/" + encodeURIComponent(match.incident_id);
        link.textContent = match.name;
        box.appendChild(text);
        box.appendChild(link);
        var why = (match.reasons || []).filter(function (r) { return r.customer; }).slice(0, 2);
        if (why.length) {
          var list = document.createElement("ul");
          why.forEach(function (r) {
            var item = document.createElement("li");
            item.textContent = r.text;
            list.appendChild(item);
          });
          box.appendChild(list);
        }
        box.hidden = false;
      }).catch(function () { box.hidden = true; });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 600);
  });
})();
