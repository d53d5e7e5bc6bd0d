// The system log's live tail in the admin console: while "Live tail" is checked, this page's own address — its
// filters included — is read again every 5 seconds and the event table replaced with the new one. Without
// JavaScript the "Refresh" link does the same by hand. Same origin only (CSP script-src 'self').
'use strict';

(() => {
  const toggle = document.getElementById('live-toggle');
  const box = document.getElementById('live');
  const status = document.getElementById('tail-status');
  if (!toggle || !box || !status) return;
  toggle.hidden = false;
  let timer = null;

  async function refresh() {
    try {
      const r = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!r.ok) {
        status.textContent = `Live tail paused: the server answered ${r.status}.`;
        stop();
        box.checked = false;
        return;
      }
      const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
      const fresh = doc.getElementById('log-events');
      const current = document.getElementById('log-events');
      if (fresh && current) current.replaceWith(document.adoptNode(fresh));
      status.textContent = `Updated at ${new Date().toLocaleTimeString()}.`;
    } catch (e) {
      status.textContent = 'Live tail paused: the server could not be reached.';
      stop();
      box.checked = false;
    }
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  box.addEventListener('change', () => {
    if (box.checked) {
      refresh();
      timer = setInterval(refresh, 5000);
      status.textContent = 'Live tail on.';
    } else {
      stop();
      status.textContent = 'Live tail off.';
    }
  });
})();
