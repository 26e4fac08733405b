/**
 * The pages of the device web UI. Every label comes from the SDK's UI texts or the demo's own
 * catalog in the session's language; no script is inline (the CSP forbids it): behaviour lives
 * in /static/app.js, which reads `data-*` attributes.
 */
import type { MailOAuth, Page, TextKey, TokenInfo } from '../../../src/index.js';
import { html, type Html } from './html.js';
import { DEMO_LOCALES, demoText, type DemoTextKey } from './texts.js';

/** What every view needs: the device, the session's language and CSRF token. */
export interface ViewContext {
  device: MailOAuth;
  locale: string;
  csrf: string;
  /** Provider ids offered in the provider field, with a display name for those the SDK has none for. */
  providers: readonly { id: string; name?: string }[];
}

const PAGE_ORDER = [
  'smtp.services',
  'smtp.alert',
  'smtp.quick',
  'smtp.initialQuick',
  'pop.emailStatus',
  'pop.internetFax',
  'pop.emailPrint',
];

export function pageTitle(ctx: ViewContext, id: string): string {
  return PAGE_ORDER.includes(id) ? ctx.device.localize(`ui.page.${id}` as TextKey, ctx.locale) : id;
}

function layout(ctx: ViewContext, title: string, body: Html, options: { nav?: boolean; pageId?: string } = {}): string {
  const t = (key: DemoTextKey): string => demoText(key, ctx.locale);
  const pages = ctx.device.pages();
  const link = (page: Page): Html =>
    html`<li>
      <a href="/pages/${page.id}" ${options.pageId === page.id ? html` aria-current="page"` : ''}>${pageTitle(ctx, page.id)}</a>
    </li>`;
  return html`<!doctype html>
<html lang="${ctx.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${ctx.csrf}">
<title>${title} — ${t('title')}</title>
<link rel="stylesheet" href="/static/style.css">
<script type="module" src="/static/app.js"></script>
</head>
<body${options.pageId === undefined ? '' : html` data-page="${options.pageId}"`}>
<header>
  <span class="brand">${t('title')}</span>
  <form method="post" action="/language" class="language">
    <input type="hidden" name="_csrf" value="${ctx.csrf}">
    <input type="hidden" name="return" value="${options.pageId === undefined ? '/login' : `/pages/${options.pageId}`}">
    <label>${t('language')} <select name="locale" data-autosubmit>
      ${DEMO_LOCALES.map((l) => html`<option value="${l}" ${l === ctx.locale ? html` selected` : ''}>${{ en: 'English', de: 'Deutsch', ja: '日本語' }[l]}</option>`)}
    </select></label>
    <noscript><button>OK</button></noscript>
  </form>
  ${options.nav === false ? '' : html`<form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${ctx.csrf}" /><button>${t('logout')}</button></form>`}
</header>
<div class="frame">
${
  options.nav === false
    ? ''
    : html`<nav>
        <h2>${t('smtpPages')}</h2>
        <ul>
          ${pages.filter((p) => p.protocol === 'smtp').map(link)}
        </ul>
        <h2>${t('pop3Pages')}</h2>
        <ul>
          ${pages.filter((p) => p.protocol === 'pop3').map(link)}
        </ul>
      </nav>`
}
<main>
<h1>${title}</h1>
${body}
</main>
</div>
</body>
</html>
`.value;
}

/** The admin login page. */
export function loginView(ctx: ViewContext, error?: string): string {
  const t = (key: DemoTextKey): string => demoText(key, ctx.locale);
  return layout(
    ctx,
    t('loginTitle'),
    html`<form method="post" action="/login" class="login">
      <input type="hidden" name="_csrf" value="${ctx.csrf}" />
      ${error === undefined ? '' : html`<p class="error" role="alert">${error}</p>`}
      <label>${t('password')} <input type="password" name="password" autocomplete="current-password" required autofocus /></label>
      <button>${t('login')}</button>
    </form>`,
    { nav: false },
  );
}

function deviceCodeBlock(ctx: ViewContext, page: Page, info: TokenInfo): Html {
  const prompt = info.prompt?.kind === 'device-code' ? info.prompt : undefined;
  const minutes = prompt === undefined ? '' : String(Math.max(1, Math.ceil((prompt.expiresAt - Date.now()) / 60_000)));
  return html`<div
    id="device-code"
    class="device-code"
    ${prompt === undefined ? html` hidden` : ''}${prompt === undefined ? '' : html` data-expires-at="${prompt.expiresAt}"`}
  >
    <p id="device-code-instruction">
      ${prompt === undefined ? '' : ctx.device.localize('ui.deviceCode.instruction', ctx.locale, { url: prompt.verificationUri, code: prompt.userCode, minutes })}
    </p>
    <p class="code" id="user-code">${prompt?.userCode ?? ''}</p>
    <p>
      <a
        id="verification-uri"
        href="${prompt?.verificationUriComplete ?? prompt?.verificationUri ?? '#'}"
        target="_blank"
        rel="noopener noreferrer"
        >${prompt?.verificationUri ?? ''}</a
      >
    </p>
    <img
      id="qr"
      alt="QR"
      width="180"
      height="180"
      src="${prompt === undefined ? '' : `/pages/${page.id}/qr.svg?c=${encodeURIComponent(prompt.userCode)}`}"
    />
    <p id="countdown" data-template="${demoText('timeLeft', ctx.locale)}"></p>
  </div>`;
}

function select(name: string, current: string | undefined, options: readonly (readonly [string, string])[]): Html {
  return html`<select name="${name}" id="field-${name}">
    ${options.map(([value, label]) => html`<option value="${value}" ${value === current ? html` selected` : ''}>${label}</option>`)}
  </select>`;
}

/** One settings page: the manual's fields, the token controls, and the page's mail action. */
export function settingsView(ctx: ViewContext, page: Page, notice?: { kind: 'ok' | 'error'; text: string }): string {
  const d = (key: TextKey): string => ctx.device.localize(key, ctx.locale);
  const t = (key: DemoTextKey, params?: Record<string, string>): string => demoText(key, ctx.locale, params);
  const s = page.settings;
  const info = page.tokenInfo(ctx.locale);
  const smtp = page.protocol === 'smtp';
  const linked = ctx.device.pages().filter((other) => other.scopeId === page.scopeId);
  const linkedText = linked.length > 1 ? t('linked', { pages: linked.map((p) => pageTitle(ctx, p.id)).join(' · ') }) : t('independent');
  const confirmGetToken =
    d('ui.confirm.getToken') +
    (linked.length > 1
      ? ` ${ctx.device.localize('ui.confirm.linkedPages', ctx.locale, { pages: linked.map((p) => pageTitle(ctx, p.id)).join(', ') })}`
      : '');
  const confirmDelete =
    d('ui.confirm.delete') +
    (linked.length > 1
      ? ` ${ctx.device.localize('ui.confirm.linkedPages', ctx.locale, { pages: linked.map((p) => pageTitle(ctx, p.id)).join(', ') })}`
      : '');
  const providerName = (p: { id: string; name?: string }): string =>
    p.name ?? (p.id === 'microsoft365' || p.id === 'google' ? d(`ui.provider.${p.id}`) : p.id);
  const methods = (smtp ? ['oauth2', 'plain', 'login', 'none'] : ['oauth2', 'plain', 'login']).map(
    (m) => [m, d(`ui.authMethod.${m}` as TextKey)] as const,
  );
  const field = (label: string, control: Html): Html => html`<div class="field"><label>${label}</label>${control}</div>`;
  const text = (name: string, value: string | number | undefined, type = 'text'): Html =>
    html`<input type="${type}" name="${name}" id="field-${name}" value="${value ?? ''}" />`;
  const number = (name: string, value: number | undefined, min: number, max: number): Html =>
    html`<input type="number" name="${name}" id="field-${name}" value="${value ?? ''}" min="${min}" max="${max}" />`;

  const body = html`<p class="linked">${linkedText}</p>
    ${notice === undefined ? '' : html`<p class="notice ${notice.kind}" role="status" id="notice">${notice.text}</p>`}
    <form method="post" action="/pages/${page.id}/settings" class="settings" id="settings-form">
      <input type="hidden" name="_csrf" value="${ctx.csrf}" />
      ${field(smtp ? d('ui.field.smtpServer') : d('ui.field.pop3Server'), text('server', s.server))}
      ${field(d('ui.field.port'), number('port', s.port, 1, 65535))}
      ${field(`${d('ui.field.timeout')} (${t('seconds')})`, number('timeout', s.timeout === undefined ? undefined : Math.round(s.timeout / 1000), 1, 600))}
      ${smtp ? field(d('ui.field.senderName'), text('senderName', s.senderName)) : field(`${d('ui.field.checkInterval')} (${t('minutes')})`, number('checkInterval', s.checkInterval === undefined ? undefined : Math.round(s.checkInterval / 60_000), 1, 1440))}
      ${smtp ? field(d('ui.field.senderAddress'), text('senderAddress', s.senderAddress, 'email')) : ''}
      ${field(
        d('ui.field.enableSslTls'),
        select('security', s.security, [
          ['tls', t('tlsImplicit')],
          ['starttls', t('tlsStarttls')],
          ['none', t('tlsOff')],
        ]),
      )}
      ${field(d('ui.field.authMethod'), select('authMethod', s.authMethod, methods))}
      ${field(t('password'), html`<input type="password" name="password" id="field-password" autocomplete="new-password" placeholder="${page.passwordSet ? '••••••••' : ''}" />`)}
      ${field(
        d('ui.field.provider'),
        select(
          'provider',
          s.provider,
          ctx.providers.map((p) => [p.id, providerName(p)] as const),
        ),
      )}
      ${field(d('ui.field.account'), text('account', s.account))}
      <div class="actions"><button type="submit" id="apply">${t('save')}</button></div>
    </form>
    <section class="token" aria-live="polite">
      <div class="field">
        <label>${d('ui.field.tokenStatus')}</label><output id="token-status" data-status="${info.status}">${info.statusText}</output>
      </div>
      <p id="token-error" class="error" ${info.errorCode === undefined || info.status !== 'invalid' ? html` hidden` : ''}>
        ${info.errorCode === undefined ? '' : ctx.device.localize(info.errorCode, ctx.locale)}
      </p>
      <fieldset class="flow">
        <legend>${t('signInMethod')}</legend>
        <label><input type="radio" name="flow" value="authorization-code" checked /> ${t('flowRedirect')}</label>
        <label><input type="radio" name="flow" value="device-code" /> ${t('flowDeviceCode')}</label>
      </fieldset>
      <div class="actions">
        <button type="button" id="get-token" data-action="get-token" data-confirm="${confirmGetToken}">${d('ui.button.getToken')}</button>
        <button type="button" id="delete-token" data-action="delete-token" data-confirm="${confirmDelete}">${d('ui.button.delete')}</button>
        <button type="button" id="connection-test" data-action="connection-test">${d('ui.button.connectionTest')}</button>
      </div>
      ${deviceCodeBlock(ctx, page, info)}
      <form method="post" action="/pages/${page.id}/complete" class="paste" id="paste-form">
        <input type="hidden" name="_csrf" value="${ctx.csrf}" />
        <label>${t('pasteHint')} <input type="url" name="callbackUrl" id="field-callbackUrl" /></label>
        <button>${t('complete')}</button>
      </form>
      <p id="result" role="status"></p>
    </section>
    <section class="mail">
      ${
        smtp
          ? html`<label
                >${t('recipient')} <input type="email" id="field-recipient" name="to" value="${s.senderAddress ?? s.account ?? ''}"
              /></label>
              <button type="button" id="send-test-scan" data-action="send-test-scan">${t('sendTestScan')}</button>`
          : html`<button type="button" id="check-mailbox" data-action="check-mailbox">${t('checkMailbox')}</button>`
      }
      <p id="mail-result" role="status"></p>
      <ul id="mail-list"></ul>
    </section>
    <dialog id="confirm-dialog">
      <form method="dialog">
        <p id="confirm-text"></p>
        <div class="actions">
          <button value="ok" id="confirm-ok">${d('ui.button.ok')}</button>
          <button value="cancel" id="confirm-cancel">${d('ui.button.cancel')}</button>
        </div>
      </form>
    </dialog>`;
  return layout(ctx, pageTitle(ctx, page.id), body, { pageId: page.id });
}

/** The page shown after the provider sent the browser back. */
export function callbackView(ctx: ViewContext, pageId: string | undefined, error?: string): Html {
  const t = (key: DemoTextKey, params?: Record<string, string>): string => demoText(key, ctx.locale, params);
  const target = pageId === undefined ? '/' : `/pages/${pageId}`;
  return html`<!doctype html>
<html lang="${ctx.locale}"><head><meta charset="utf-8">
${error === undefined ? html`<meta http-equiv="refresh" content="0;url=${target}" />` : ''}
<title>${t('title')}</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main>
<p${error === undefined ? '' : html` class="error" role="alert"`} id="callback-result">${error === undefined ? t('signedIn') : t('signInFailed', { message: error })}</p>
<p><a href="${target}">${t('back')}</a></p>
</main></body></html>
`;
}
