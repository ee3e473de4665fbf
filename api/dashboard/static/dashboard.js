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
