// Small behaviours of dashboard pages, bound here because the pages carry no inline script.
(function () {
  document.querySelectorAll('[data-action="print"]').forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
