/* tdkt-bot dashboard: the little the pages need beyond htmx. No inline scripts (CSP). */
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("check-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=don_vi]:not([disabled])").forEach(function (box) { box.checked = all.checked; });
    });
  }
  document.querySelectorAll("select[name]").forEach(function (sel) {
    if (sel.form && sel.form.id === "filters") {
      sel.addEventListener("change", function () { sel.form.submit(); });
    }
  });
});

/* The live figures are replaced every few seconds (htmx, outerHTML): a "Theo cụm/khối" list the
   reader opened stays open across the swap instead of closing under their eyes. */
(function () {
  var open = [];
  document.addEventListener("htmx:beforeSwap", function (e) {
    open = Array.prototype.map.call(e.detail.target.querySelectorAll("details[data-details][open]"),
                                    function (d) { return d.getAttribute("data-details"); });
  });
  document.addEventListener("htmx:afterSwap", function () {
    open.forEach(function (key) {
      var d = document.querySelector('details[data-details="' + key + '"]');
      if (d) { d.open = true; }
    });
    open = [];
  });
})();

/* A form that changes something is sent once: its buttons are disabled once it is on its way
   (after the submit event, so the pressed button's name and value still go with it). The
   server holds the real guard — a repeat finds what the first request made — this only saves
   the office a second wait. Forms that read (method=get) are left alone. */
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (!form || (form.method || "").toLowerCase() !== "post") { return; }
  setTimeout(function () {
    form.querySelectorAll("button[type=submit]:not([disabled]), button:not([type]):not([disabled])").forEach(function (b) {
      b.disabled = true;
      b.setAttribute("data-sent", "1");
    });
  }, 0);
});
window.addEventListener("pageshow", function (e) {  /* back to a page kept in the browser's cache */
  if (e.persisted) {
    document.querySelectorAll("form button[disabled][data-sent]").forEach(function (b) { b.disabled = false; b.removeAttribute("data-sent"); });
  }
});
