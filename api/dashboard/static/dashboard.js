// Progressive enhancement of the dashboard: every page works without this file.
document.documentElement.classList.add("js");

// Drag and drop onto the upload frame puts the dropped file into its <input type="file">.
document.addEventListener("DOMContentLoaded", () => {
  for (const zone of document.querySelectorAll("[data-depot]")) {
    const input = zone.querySelector("input[type=file]");
    if (!input) continue;
    const over = (event) => { event.preventDefault(); zone.classList.add("survol"); };
    const leave = () => zone.classList.remove("survol");
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", leave);
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      leave();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.focus();
      }
    });
  }
});

// "Imprimer ou enregistrer en PDF" on a return's page: the browser's own print dialog.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-imprimer]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});

// "(toutes)": tick every declaration of the page for the bulk transmission (the list may be
// swapped by htmx: one delegated listener, the buttons revealed after each swap).
const revealSelectAll = () => {
  for (const button of document.querySelectorAll("[data-tout-cocher]")) button.hidden = false;
};
document.addEventListener("DOMContentLoaded", revealSelectAll);
document.addEventListener("htmx:afterSettle", revealSelectAll);
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-tout-cocher]");
  if (!button) return;
  for (const box of document.querySelectorAll(`input[form="${button.dataset.toutCocher}"]`)) {
    box.checked = true;
  }
});
