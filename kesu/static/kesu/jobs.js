// Moves each job's progress bar (admin/jobs.py progress_bar) while the job runs, polling its progress URL;
// when the job is done the page shows the download link.
(function () {
  "use strict";
  var INTERVAL_MS = 1000;

  function update(box, state) {
    var bar = box.querySelector(".progress-bar");
    var counts = box.querySelector(".kesu-job-counts");
    bar.style.width = state.percent + "%";
    bar.setAttribute("aria-valuenow", state.percent);
    bar.className = "progress-bar " + ({queued: "bg-secondary", running: "bg-info progress-bar-striped progress-bar-animated",
                                        done: "bg-success", failed: "bg-danger"}[state.status] || "");
    counts.textContent = state.status_label + (state.total ? " · " + state.done + " / " + state.total : "");
  }

  function poll(box) {
    fetch(box.getAttribute("data-kesu-job"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        update(box, state);
        if (state.finished) {
          if (state.download_url || state.message) { window.location.reload(); }
          return;
        }
        window.setTimeout(function () { poll(box); }, INTERVAL_MS);
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, INTERVAL_MS * 5); });
  }

  document.querySelectorAll("[data-kesu-job]").forEach(function (box) {
    var state = box.querySelector(".progress-bar").className;
    if (state.indexOf("bg-success") < 0 && state.indexOf("bg-danger") < 0) { poll(box); }
  });
})();
