// Re-fetch the open part of the inbox every 15 seconds so a new report or message shows without a reload.
// When the session has ended (401, or a redirect to the login page) the page says so and stops polling,
// instead of quietly showing a list that no longer updates; that check runs even while a note is typed.
// A refresh that gets no answer within 10 s is given up (shown as offline) rather than left hanging.
(function () {
  const box = document.getElementById("inbox-open");
  if (!box) return;
  const stamp = document.getElementById("inbox-refreshed");
  const signedOut = document.getElementById("signed-out");
  const REFRESH_TIMEOUT_MS = 10000;
  let timer = null;

  function showSignedOut() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    if (signedOut) signedOut.hidden = false;
    box.classList.add("stale");
    if (stamp) stamp.textContent = "signed out: not updating";
  }

  function editing() {
    // A clinician typing a note or choosing an outcome must not lose it to the refresh.
    if (box.contains(document.activeElement) && document.activeElement !== document.body) return true;
    return Array.from(box.querySelectorAll("textarea, select")).some((field) => field.value);
  }
  async function refresh() {
    try {
      const response = await fetch(box.dataset.refreshUrl, {
        credentials: "same-origin", headers: { "X-Requested-With": "fetch" }, cache: "no-store",
        signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
      });
      if (response.status === 401 || response.status === 403 || response.redirected) {
        showSignedOut();
        return;
      }
      if (!response.ok) {
        if (stamp) stamp.textContent = "could not refresh (" + response.status + "), retrying";
        return;
      }
      const html = await response.text();
      if (editing()) return; // the session is still alive; keep what is being typed, refresh next time
      box.innerHTML = html;
      if (stamp) stamp.textContent = "updated " + new Date().toLocaleTimeString([], { timeZoneName: "short" });
    } catch (error) {
      if (stamp) stamp.textContent = "offline, retrying";
    }
  }
  timer = setInterval(refresh, Number(box.dataset.refreshMs || 15000));
  window.dashboardRefreshInbox = refresh;
})();
