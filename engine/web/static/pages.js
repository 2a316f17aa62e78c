// The pages' little behaviour, kept out of the HTML so that the Content-Security-Policy
// can forbid every inline script.
"use strict";

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
});
