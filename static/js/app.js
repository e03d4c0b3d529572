// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Drag-and-drop onto the upload zone fills its file input and submits the form.
  function initDropzone(zone) {
    if (zone.dataset.ready) return;
    zone.dataset.ready = "1";
    var input = zone.querySelector("input[type=file]");
    var form = zone.closest("form");
    if (!input || !form) return;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      form.requestSubmit();
    });
  }

  // A select or checkbox marked data-autosubmit submits its form when changed.
  function initAutosubmit(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (field) {
      if (field.dataset.ready) return;
      field.dataset.ready = "1";
      field.addEventListener("change", function () { field.form && field.form.requestSubmit(); });
    });
  }

  // Buttons marked data-confirm ask before submitting (deletes, cancels).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // Links styled as buttons answer Space like real buttons do.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== " " || !target.matches || !target.matches("a[role=button]")) return;
    event.preventDefault();
    target.click();
  });

  function init(root) {
    root.querySelectorAll(".dropzone").forEach(initDropzone);
    initAutosubmit(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
