// The supervisor's page: keeps the report form's text in this phone's storage until it is
// sent, so a reload on a weak connection loses nothing. Optional: the page works without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft]");
  if (!form || !window.localStorage) { return; }
  var key = "supdesk:" + form.getAttribute("data-draft");
  var fields = ["venue", "description", "topic", "stage", "problem_type", "method"];
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
  if (saved) {
    fields.forEach(function (name) {
      var el = form.elements[name];
      if (el && !el.value && saved[name]) { el.value = saved[name]; }
    });
    var formKey = form.elements.form_key;
    if (formKey && saved.form_key) { formKey.value = saved.form_key; } // the same key: files once
  }
  function save() {
    var draft = { form_key: form.elements.form_key ? form.elements.form_key.value : "" };
    fields.forEach(function (name) { var el = form.elements[name]; if (el) { draft[name] = el.value; } });
    try { localStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* full: no draft */ }
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
})();
(function () {
  "use strict";
  // After a report is filed, the draft is done with.
  if (location.pathname.indexOf("/me/filed/") === 0 && window.localStorage) {
    try { localStorage.removeItem("supdesk:me-report"); } catch (e) { /* nothing kept */ }
  }
  var summary = document.querySelector(".me-error-summary");
  if (summary) { summary.focus(); }
})();
