// smartpay-apply status: optional auto-refresh. The page works without this script; with it,
// a checkbox (hidden until the script runs) reloads the page every N seconds while it is
// visible, N from <body data-auto-refresh>. The choice is remembered in localStorage.
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-auto-refresh") || "0", 10);
  var control = document.getElementById("auto-refresh");
  if (!control || !(seconds > 0)) {
    return;
  }
  var box = control.querySelector("input");
  var key = "smartpay-status-auto-refresh";
  var timer = null;

  function remembered() {
    try {
      return window.localStorage.getItem(key) === "on";
    } catch (error) {
      return false;
    }
  }

  function remember(on) {
    try {
      window.localStorage.setItem(key, on ? "on" : "off");
    } catch (error) {
      // storage refused (private mode): the choice lasts for this page only
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    if (!box.checked) {
      return;
    }
    timer = window.setTimeout(function () {
      if (document.visibilityState === "hidden") {
        schedule();
      } else {
        window.location.reload();
      }
    }, seconds * 1000);
  }

  control.hidden = false;
  box.checked = remembered();
  box.addEventListener("change", function () {
    remember(box.checked);
    schedule();
  });
  schedule();
})();
