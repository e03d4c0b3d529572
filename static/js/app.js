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

  // Forms marked data-submit-once (runs, confirmations, creations) send once: a second
  // click while the first request is on its way does nothing, and the buttons say so.
  // The server refuses a second run all the same; this spares the user the message.
  // Buttons come back if the page is shown again from the history, or after a while in
  // case the answer was a download that left the page as it was.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute("data-submit-once")) return;
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    // After this event, so the clicked button's name and value still go with the form.
    window.setTimeout(function () { setSending(form, true); }, 0);
    window.setTimeout(function () { setSending(form, false); }, 15000);
  });

  function setSending(form, sending) {
    if (!sending) delete form.dataset.sending;
    form.querySelectorAll("button, input[type=submit]").forEach(function (button) {
      button.disabled = sending;
      if (sending) button.setAttribute("aria-busy", "true");
      else button.removeAttribute("aria-busy");
    });
  }

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      setSending(form, false);
    });
  });

  // Links styled as buttons answer Space like real buttons do.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== " " || !target.matches || !target.matches("a[role=button]")) return;
    event.preventDefault();
    target.click();
  });

  // The review queue's keys: v verify (or keep one's blind answer), c the answer field,
  // n / p next and previous value, ? the help. Typing in a field is left alone.
  document.addEventListener("keydown", function (event) {
    var queue = document.querySelector("[data-review-queue]");
    var target = event.target;
    if (!queue || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var key = event.key;
    var control = null;
    if (key === "v" || key === "n" || key === "p") {
      control = queue.querySelector("[data-key='" + key + "']");
      if (control) { event.preventDefault(); control.click(); }
    } else if (key === "c") {
      control = queue.querySelector("fieldset input:not([type=hidden]), fieldset select, fieldset textarea");
      if (control) { event.preventDefault(); control.focus(); }
    } else if (key === "?") {
      control = queue.querySelector("[data-key-help]");
      if (control) { event.preventDefault(); control.open = !control.open; }
    }
  });

  function init(root) {
    root.querySelectorAll(".dropzone").forEach(initDropzone);
    initAutosubmit(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
