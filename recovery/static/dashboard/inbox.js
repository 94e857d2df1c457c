// Re-fetch the open-escalations table every 15 seconds so a new report shows without a reload.
(function () {
  const box = document.getElementById("inbox-open");
  if (!box) return;
  const stamp = document.getElementById("inbox-refreshed");
  function editing() {
    // A clinician typing a note or choosing an outcome must not lose it to the refresh.
    if (box.contains(document.activeElement) && document.activeElement !== document.body) return true;
    return Array.from(box.querySelectorAll("textarea, select")).some((field) => field.value);
  }
  async function refresh() {
    if (editing()) return;
    try {
      const response = await fetch(box.dataset.refreshUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
      if (response.redirected || !response.ok) return; // session ended: leave the page as it is
      box.innerHTML = await response.text();
      if (stamp) stamp.textContent = "updated " + new Date().toLocaleTimeString();
    } catch (error) {
      if (stamp) stamp.textContent = "offline, retrying";
    }
  }
  setInterval(refresh, Number(box.dataset.refreshMs || 15000));
  window.dashboardRefreshInbox = refresh;
})();
