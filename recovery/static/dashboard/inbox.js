// Re-fetch the open-escalations table every 15 seconds so a new report shows without a reload.
(function () {
  const box = document.getElementById("inbox-open");
  if (!box) return;
  const stamp = document.getElementById("inbox-refreshed");
  async function refresh() {
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
