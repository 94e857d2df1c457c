// Behaviour of every dashboard page, kept out of the HTML so the Content-Security-Policy can forbid
// inline scripts: a <select data-autosubmit> submits its form on change, a [data-print] button prints.
document.addEventListener("change", (event) => {
  const select = event.target.closest && event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.submit();
});
document.addEventListener("click", (event) => {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
