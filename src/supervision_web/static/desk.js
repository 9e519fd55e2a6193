// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so a screen reader announces what to fix.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  // An error-summary link moves to its field with the field's label (or legend) in view,
  // not scrolled off the top as a plain #fragment jump leaves it.
  document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      const label = document.querySelector(`label[for="${field.id}"]`) || field.closest("fieldset")?.querySelector("legend");
      (label || field).scrollIntoView({block: "start"});
      field.focus({preventScroll: true});
    });
  });

  // Filter the supervisor list by what is typed (name or the visible part of the phone).
  const filter = document.getElementById("supervisor-filter");
  const select = document.getElementById("supervisor_id");
  if (filter && select) {
    filter.addEventListener("input", () => {
      const q = filter.value.trim();
      let first = null;
      for (const option of select.options) {
        if (!option.value) continue;
        const show = !q || option.textContent.includes(q);
        option.hidden = !show;
        if (show && !first) first = option;
      }
      if (first && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
        select.value = first.value;
      }
    });
  }

  // Show the fields that belong to the chosen way in and reporter.
  const toggle = (name, value, id) => {
    const block = document.getElementById(id);
    if (!block) return;
    const update = () => {
      const checked = document.querySelector(`input[name="${name}"]:checked`);
      block.hidden = !(checked && checked.value === value);
    };
    document.querySelectorAll(`input[name="${name}"]`).forEach((r) => r.addEventListener("change", update));
    update();
  };
  toggle("mode", "letter", "letter-fields");
  toggle("reporter", "supervisor", "supervisor-fields");
  toggle("reporter", "visitor", "visitor-fields");

  // One submission per form: the server is idempotent anyway, this saves the wait.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = "正在提交…"; }
    });
  });

  const print = document.getElementById("print-receipt");
  if (print) print.addEventListener("click", () => window.print());
});
