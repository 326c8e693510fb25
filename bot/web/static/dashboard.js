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
