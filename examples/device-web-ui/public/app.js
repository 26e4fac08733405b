// Behaviour of the device web UI. A static file: the Content-Security-Policy allows no inline script.
const $ = (selector) => document.querySelector(selector);
const csrf = $('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

for (const select of document.querySelectorAll('[data-autosubmit]')) {
  select.addEventListener('change', () => select.form.requestSubmit());
}

const pageId = document.body.dataset.page;
if (pageId !== undefined) setUpPage(pageId);

function setUpPage(pageId) {
  let countdown;

  const post = async (action, fields = {}) => {
    const response = await fetch(`/pages/${encodeURIComponent(pageId)}/${action}`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: csrf, ...fields }),
      credentials: 'same-origin',
    });
    if (response.redirected && new URL(response.url).pathname === '/login') {
      location.assign('/login');
      return { ok: false, message: '' };
    }
    if (!response.ok) return { ok: false, message: `${response.status} ${response.statusText}` };
    return response.json();
  };

  const confirmDialog = (text) => {
    const dialog = $('#confirm-dialog');
    $('#confirm-text').textContent = text;
    dialog.returnValue = '';
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
  };

  const showResult = (element, result) => {
    element.textContent = result.message ?? '';
    element.className = result.ok ? 'ok' : 'error';
    element.dataset.code = result.code ?? (result.ok ? 'OK' : 'ERROR');
    // Lets a reader (or a test) tell one result from the next when the text is the same.
    element.dataset.seq = String(Number(element.dataset.seq ?? '0') + 1);
  };

  const tick = (block) => {
    const left = Math.max(0, Number(block.dataset.expiresAt) - Date.now());
    const minutes = Math.floor(left / 60_000);
    const seconds = String(Math.floor((left % 60_000) / 1000)).padStart(2, '0');
    const line = $('#countdown');
    line.textContent = line.dataset.template.replace('{time}', `${minutes}:${seconds}`);
    if (left === 0) clearInterval(countdown);
  };

  const startCountdown = () => {
    clearInterval(countdown);
    const block = $('#device-code');
    if (block.hidden || block.dataset.expiresAt === undefined) return;
    tick(block);
    countdown = setInterval(() => tick(block), 1000);
  };

  const render = (event) => {
    const status = $('#token-status');
    status.textContent = event.statusText;
    status.dataset.status = event.status;
    const error = $('#token-error');
    error.textContent = event.error ?? '';
    error.hidden = event.error === undefined;
    const block = $('#device-code');
    const code = event.deviceCode;
    if (code === undefined) {
      block.hidden = true;
      clearInterval(countdown);
      return;
    }
    $('#device-code-instruction').textContent = code.instruction;
    $('#user-code').textContent = code.userCode;
    const link = $('#verification-uri');
    link.textContent = code.verificationUri;
    link.href = code.link;
    $('#qr').src = code.qr;
    block.dataset.expiresAt = String(code.expiresAt);
    block.hidden = false;
    startCountdown();
  };

  startCountdown();
  const stream = new EventSource('/events');
  stream.addEventListener('token', (message) => {
    const event = JSON.parse(message.data);
    if (event.page === pageId) render(event);
  });

  const busy = async (button, work) => {
    button.disabled = true;
    try {
      await work();
    } finally {
      button.disabled = false;
    }
  };

  for (const button of document.querySelectorAll('[data-action]')) {
    button.addEventListener('click', () =>
      busy(button, async () => {
        const action = button.dataset.action;
        if (button.dataset.confirm !== undefined && !(await confirmDialog(button.dataset.confirm))) return;
        if (action === 'send-test-scan' || action === 'check-mailbox') {
          const result = await post(action, action === 'send-test-scan' ? { to: $('#field-recipient').value } : {});
          showResult($('#mail-result'), result);
          const list = $('#mail-list');
          list.replaceChildren(
            ...(result.items ?? []).map((item) => {
              const entry = document.createElement('li');
              entry.textContent = `${item.subject} — ${item.from}${item.attachments.length > 0 ? ` [${item.attachments.join(', ')}]` : ''}`;
              return entry;
            }),
          );
          return;
        }
        const fields =
          action === 'get-token' ? { flow: document.querySelector('input[name="flow"]:checked')?.value ?? 'authorization-code' } : {};
        const result = await post(action, fields);
        if (result.redirect !== undefined) return location.assign(result.redirect);
        if (result.event !== undefined) render(result.event);
        showResult($('#result'), result);
      }),
    );
  }
}
