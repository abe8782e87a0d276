// The Smart-ID waiting page: a new QR code every second (its link carries the seconds since the
// session began, RP API v3 "Device link flows"), and the status asked from the server until
// the login ends. Each status request waits at SK for a few seconds (a long poll), so asking
// again right away costs little. Without JavaScript the page's "Check again" button does this.
const page = document.getElementById("smartid");
const statusLine = document.getElementById("smartid-status");
const qr = document.getElementById("smartid-qr");
const GIVE_UP_AFTER = 5 * 60 * 1000;  // the server forgets the login then anyway
const started = Date.now();

if (qr && page.dataset.qrUrl) {
  const refresh = setInterval(() => {
    if (Date.now() - started > GIVE_UP_AFTER) { clearInterval(refresh); return; }
    qr.src = `${page.dataset.qrUrl}?t=${Date.now()}`;
  }, 1000);
}

async function poll() {
  while (Date.now() - started < GIVE_UP_AFTER) {
    const asked = Date.now();
    let data;
    try {
      const response = await fetch(page.dataset.statusUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": page.dataset.csrfToken, Accept: "application/json" },
      });
      data = await response.json();
    } catch {
      statusLine.textContent = page.dataset.msgFailed;
      statusLine.setAttribute("role", "alert");
      return;
    }
    if (data.state !== "running") {
      window.location.assign(data.redirect);
      return;
    }
    // at most one request a second, should the service answer "running" at once
    await new Promise((done) => setTimeout(done, Math.max(0, 1000 - (Date.now() - asked))));
  }
}

poll();
