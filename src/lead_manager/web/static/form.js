// Progressive enhancement for forms; everything works without it.
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  // Show the chosen resume's name and size, and warn before uploading a file that is too large.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var output = document.getElementById(input.id + "-chosen");
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      input.setCustomValidity("");
      if (!output) return;
      output.classList.remove("too-large");
      if (!file) { output.textContent = ""; return; }
      output.textContent = "Selected: " + file.name + " (" + formatSize(file.size) + ")";
      if (file.size > limit) {
        var message = "This file is larger than the limit of " + formatSize(limit) + ".";
        output.textContent += " — " + message;
        output.classList.add("too-large");
        input.setCustomValidity(message);
      }
    });
  });

  // Disable the submit button while the request is on its way, so it is not sent twice.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit][data-busy-label]");
      if (!button) return;
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy-label");
        form.setAttribute("aria-busy", "true");
      }, 0);
    });
  });

  // After a failed submission, move focus to the list of problems.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
