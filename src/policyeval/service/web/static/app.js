// Conveniences over pages that work without them. No third-party code.
// [data-expand-all]/[data-collapse-all] buttons open or fold every <details> in the element
// named by their data-target; an <input data-filter="#list"> hides rows of #list not containing
// what is typed.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-expand-all],[data-collapse-all]");
  if (!button) return;
  const scope = document.querySelector(button.dataset.target || "main");
  const open = button.hasAttribute("data-expand-all");
  scope.querySelectorAll("details").forEach((d) => { d.open = open; });
});
document.addEventListener("input", (event) => {
  const input = event.target.closest("[data-filter]");
  if (!input) return;
  const words = input.value.trim().toLowerCase();
  document.querySelectorAll(input.dataset.filter + " > [data-search]").forEach((row) => {
    row.hidden = words !== "" && !row.dataset.search.toLowerCase().includes(words);
  });
});
document.querySelectorAll("[data-enhanced]").forEach((el) => { el.hidden = false; });
