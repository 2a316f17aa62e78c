// The pages' little behaviour, kept out of the HTML so that the Content-Security-Policy
// can forbid every inline script. Every page works without it: the row buttons and the
// bulk form post to the server, which answers the same.
"use strict";

// A row's fields are named by their path (`activities[2].quarter`): a copy of the last
// row gets the next free index, so the server reads it like any other row.
function addRow(fieldset, path) {
  const rows = fieldset.querySelectorAll(":scope > .row");
  const last = rows[rows.length - 1];
  if (!last) return false;
  let next = 0;
  for (const row of rows) {
    const index = Number(row.dataset.row.slice(path.length + 1, -1));
    next = Math.max(next, index + 1);
  }
  const copy = last.cloneNode(true);
  const from = last.dataset.row, to = `${path}[${next}]`;
  const rename = (value) => value && value.split(from).join(to);
  copy.dataset.row = to;
  for (const element of copy.querySelectorAll("[name], [id], [for]")) {
    for (const attribute of ["name", "id", "for", "data-row-path"]) {
      if (element.hasAttribute(attribute)) element.setAttribute(attribute, rename(element.getAttribute(attribute)));
    }
    if (element.type === "checkbox") element.checked = false;
    else if (element.type !== "submit" && element.tagName !== "OPTION" && "value" in element) element.value = "";
  }
  for (const stale of copy.querySelectorAll(".error")) stale.remove();
  for (const invalid of copy.querySelectorAll(".invalid")) invalid.classList.remove("invalid");
  last.after(copy);
  const first = copy.querySelector("input, textarea, select");
  if (first) first.focus();
  return true;
}

// The bulk form offers the decisions every ticked item's step takes (all listed ones
// when none is ticked); the server offers the same for the listed items.
function limitBulk(form) {
  const select = form.querySelector("select[data-bulk-actions]");
  if (!select) return;
  const ticked = [...form.querySelectorAll("input[name=reference]:checked")];
  const rows = (ticked.length ? ticked : [...form.querySelectorAll("input[name=reference]")])
    .map((box) => box.closest("tr"));
  let common = select.dataset.bulkActions.split(" ");
  for (const row of rows) {
    const mine = (row.dataset.actions || "").split(" ");
    common = common.filter((action) => mine.includes(action));
  }
  for (const option of select.options) {
    if (option.value) option.hidden = option.disabled = !common.includes(option.value);
  }
  if (select.selectedOptions[0] && select.selectedOptions[0].disabled) select.value = "";
}

document.addEventListener("DOMContentLoaded", () => {
  // The draft page: choosing a party and kind reloads the form for them.
  for (const select of document.querySelectorAll("select[data-choose-form]")) {
    select.addEventListener("change", () => {
      const [party, kind] = select.value.split("|");
      select.form.elements.kind.value = kind;
      select.form.elements.parties.value = party;
      select.form.submit();
    });
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("input.add-row, input.remove-row");
    if (!button) return;
    if (button.classList.contains("add-row")) {
      if (addRow(button.closest("fieldset.rows"), button.dataset.addRow)) event.preventDefault();
    } else {
      const row = button.closest(".row");
      const fieldset = row.closest("fieldset.rows");
      if (fieldset.querySelectorAll(":scope > .row").length > 1) {
        event.preventDefault();
        row.remove();
      }
    }
  });
  const bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("change", (event) => {
      if (event.target.name === "reference") limitBulk(bulk);
    });
    limitBulk(bulk);
  }
});
