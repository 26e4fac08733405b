import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { startLoopbackListener, type Flow, type MailMessage, type PageSettingsInput } from '../index.js';
import {
  DEFAULT_PORTS,
  DEFAULT_SERVERS,
  openDevice,
  openStore,
  readConfig,
  writeConfig,
  type CliConfig,
  type CliDevice,
  type PageId,
} from './config.js';
import { EXIT, exitCodeOf, CommandLineError, type ExitCode } from './exit.js';
import type { Output } from './output.js';
import { terminalQr } from './qr.js';

/** Parsed options of any command (node:util parseArgs values). */
export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface CommandContext {
  values: Values;
  positionals: string[];
  out: Output;
  signal: AbortSignal;
}

const PAGES: readonly PageId[] = ['smtp', 'pop3', 'imap'];
const MIME: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.txt': 'text/plain',
};

function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function pageOf(values: Values): PageId {
  const page = text(values, 'page') ?? 'smtp';
  if (!(PAGES as readonly string[]).includes(page)) throw new CommandLineError(`--page must be smtp, pop3 or imap, not "${page}"`);
  return page as PageId;
}

function seconds(values: Values, name: string, fallback: number): number {
  const raw = text(values, name);
  if (raw === undefined) return fallback * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new CommandLineError(`--${name} must be a positive number of seconds`);
  return n * 1000;
}

/** Opens the store, its CLI record and the device; `run` gets them and the device is always closed. */
async function withDevice<T>(ctx: CommandContext, run: (device: CliDevice) => Promise<T>): Promise<T> {
  const store = await openStore(ctx.values);
  try {
    const config = await readConfig(store);
    if (config === undefined)
      throw new CommandLineError(`nothing configured in ${text(ctx.values, 'store') ?? ''}: run 'mail-oauth login' first`);
    const device = await openDevice(store, config, text(ctx.values, 'locale'));
    try {
      return await run(device);
    } finally {
      await device.close();
    }
  } finally {
    await store.close?.();
  }
}

function loginConfig(values: Values, previous: CliConfig | undefined, ca: string | undefined): CliConfig {
  const provider = text(values, 'provider') ?? previous?.provider;
  if (provider !== 'microsoft365' && provider !== 'google' && provider !== 'oidc')
    throw new CommandLineError('--provider must be microsoft365, google or oidc');
  const clientId = text(values, 'client-id') ?? previous?.clientId;
  if (clientId === undefined) throw new CommandLineError('--client-id is required');
  const config: CliConfig = { version: 1, provider, clientId };
  const tenant = text(values, 'tenant') ?? previous?.tenant;
  if (tenant !== undefined) config.tenant = tenant;
  if (provider === 'oidc') {
    const issuer = text(values, 'issuer') ?? previous?.issuer;
    if (issuer === undefined) throw new CommandLineError('--issuer is required with --provider oidc');
    config.issuer = issuer;
    const scopes =
      text(values, 'scopes')
        ?.split(/[\s,]+/)
        .filter(Boolean) ?? previous?.scopes;
    if (scopes === undefined || scopes.length === 0) throw new CommandLineError('--scopes is required with --provider oidc');
    config.scopes = scopes;
  }
  const secret = process.env.MAIL_OAUTH_CLIENT_SECRET;
  if (secret !== undefined && secret !== '') config.clientSecret = secret;
  else if (previous?.clientSecret !== undefined) config.clientSecret = previous.clientSecret;
  const caPem = ca ?? previous?.ca;
  if (caPem !== undefined) config.ca = caPem;
  if (values['allow-plaintext'] === true || previous?.allowPlaintext === true) config.allowPlaintext = true;
  return config;
}

function pageSettings(values: Values, page: PageId, provider: string): PageSettingsInput {
  const account = text(values, 'account');
  if (account === undefined) throw new CommandLineError('--account is required');
  const known = DEFAULT_SERVERS[provider]?.[page];
  const server = text(values, 'server') ?? known?.server;
  if (server === undefined) throw new CommandLineError('--server is required for this provider');
  const portText = text(values, 'port');
  const port = portText === undefined ? (known?.port ?? DEFAULT_PORTS[page].port) : Number(portText);
  const security = text(values, 'security') ?? known?.security ?? DEFAULT_PORTS[page].security;
  const settings: PageSettingsInput = {
    server,
    port,
    security: security as PageSettingsInput['security'] & string,
    timeout: 30_000,
    authMethod: 'oauth2',
    provider: provider === 'oidc' ? 'oidc' : provider,
    account,
  };
  if (page === 'smtp') {
    settings.senderAddress = text(values, 'sender-address') ?? account;
    const name = text(values, 'sender-name');
    if (name !== undefined) settings.senderName = name;
  } else {
    settings.checkInterval = 300_000;
  }
  return settings;
}

export async function login(ctx: CommandContext): Promise<ExitCode> {
  const { values, out } = ctx;
  const page = pageOf(values);
  const flow = text(values, 'flow') ?? 'device-code';
  if (flow !== 'device-code' && flow !== 'authorization-code' && flow !== 'client-credentials') {
    throw new CommandLineError('--flow must be device-code, authorization-code or client-credentials');
  }
  const redirect = text(values, 'redirect');
  if (redirect !== undefined && redirect !== 'loopback') throw new CommandLineError('--redirect must be loopback');
  const waitMs = seconds(values, 'wait', 900);
  const caFile = text(values, 'ca');
  const ca = caFile === undefined ? undefined : await readFile(caFile, 'utf8');
  const store = await openStore(values);
  try {
    const config = loginConfig(values, await readConfig(store), ca);
    const settings = pageSettings(values, page, config.provider);
    await writeConfig(store, config);
    const device = await openDevice(store, config, text(values, 'locale'));
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(waitMs)]);
    try {
      const target = device.page(page);
      await target.configure(settings);
      if (target.status === 'acquired') {
        out.result(
          { ok: true, command: 'login', page, status: target.status, account: target.tokenInfo().account ?? settings.account },
          `${page}: ${target.tokenInfo().statusText} (already; 'mail-oauth delete' first to sign in again)`,
        );
        return EXIT.ok;
      }
      await signIn(device, page, flow, redirect, signal, out);
      const info = target.tokenInfo();
      out.result(
        { ok: true, command: 'login', page, status: info.status, account: info.account ?? settings.account },
        `${page}: ${info.statusText} — ${info.account ?? settings.account ?? ''}`,
      );
      return EXIT.ok;
    } finally {
      await device.close();
    }
  } finally {
    await store.close?.();
  }
}

async function signIn(
  device: CliDevice,
  page: PageId,
  flow: Flow,
  redirect: string | undefined,
  signal: AbortSignal,
  out: Output,
): Promise<void> {
  const target = device.page(page);
  if (flow === 'authorization-code') {
    if (redirect === 'loopback') {
      const listener = await startLoopbackListener({ signal });
      try {
        const prompt = await target.getToken({ flow, redirectUri: listener.redirectUri, signal });
        if (prompt.kind !== 'redirect') throw new Error('the provider did not start a redirect sign-in');
        out.prompt(
          `Open this address in a browser on this machine and sign in:\n\n  ${prompt.url}\n\nWaiting for the redirect to ${listener.redirectUri} …`,
        );
        await device.completeAuthorization(await listener.callback, { signal });
      } finally {
        await listener.close();
      }
      return;
    }
    throw new CommandLineError('--flow authorization-code needs --redirect loopback');
  }
  const prompt = await target.getToken({ flow, signal });
  if (prompt.kind === 'device-code') {
    const address = prompt.verificationUriComplete ?? prompt.verificationUri;
    const qr = await terminalQr(address);
    out.prompt(
      [
        `To sign in, open ${prompt.verificationUri} and enter the code:`,
        '',
        `  Code: ${prompt.userCode}`,
        '',
        ...(qr === undefined ? [] : [qr, '']),
        `Waiting for the sign-in (until ${new Date(prompt.expiresAt).toISOString()}) …`,
      ].join('\n'),
    );
  }
  await target.waitForAuthorization({ signal });
}

/** One page in `status`: settings and token facts, never a token. */
interface StatusRow {
  page: string;
  server: string;
  port: number;
  account: string;
  status: string;
  statusText: string;
  tokenAccount?: string;
  errorCode?: string;
}

export async function status(ctx: CommandContext): Promise<ExitCode> {
  return withDevice(ctx, async (device) => {
    const pages = device.pages().filter((page) => page.settings.authMethod !== undefined);
    const rows = pages.map((page) => {
      const info = page.tokenInfo();
      const { server = '', port = 0, account = '' } = page.settings;
      const row: StatusRow = { page: page.id, server, port, account, status: info.status, statusText: info.statusText };
      if (info.account !== undefined) row.tokenAccount = info.account;
      if (info.errorCode !== undefined) row.errorCode = info.errorCode;
      return row;
    });
    const invalid = pages.some((page) => page.status === 'invalid');
    const lines = rows.map(
      (r) =>
        `${r.page.padEnd(5)} ${r.statusText.padEnd(28)} ${r.account} @ ${r.server}:${r.port}${r.errorCode === undefined ? '' : ` (${r.errorCode})`}`,
    );
    if (invalid) lines.push('', device.localize('ERR_TOKEN_REFRESH_FAILED'));
    ctx.out.result({ ok: !invalid, command: 'status', pages: rows }, lines.length === 0 ? 'no page configured' : lines.join('\n'));
    return invalid ? EXIT.tokenInvalid : EXIT.ok;
  });
}

export async function test(ctx: CommandContext): Promise<ExitCode> {
  const page = pageOf(ctx.values);
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(seconds(ctx.values, 'timeout', 60))]);
  return withDevice(ctx, async (device) => {
    const locale = text(ctx.values, 'locale');
    const report = await device.page(page).testConnection(locale === undefined ? { signal } : { signal, locale });
    ctx.out.result(
      { command: 'test', page, ...report },
      [`${page}: ${report.message}`, ...(report.hint === undefined ? [] : [report.hint])].join('\n'),
    );
    return exitCodeOf(report.code);
  });
}

export async function send(ctx: CommandContext): Promise<ExitCode> {
  const [file, ...extra] = ctx.positionals;
  if (file === undefined || extra.length > 0) throw new CommandLineError('send needs exactly one file');
  const to = ctx.values.to;
  const recipients = Array.isArray(to) ? to.filter((r): r is string => typeof r === 'string') : typeof to === 'string' ? [to] : [];
  if (recipients.length === 0) throw new CommandLineError('--to <address> is required');
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(seconds(ctx.values, 'timeout', 300))]);
  const filename = basename(file);
  const extension = /\.[^.]+$/.exec(filename)?.[0]?.toLowerCase() ?? '';
  const message: MailMessage = {
    to: recipients,
    subject: text(ctx.values, 'subject') ?? filename,
    text: text(ctx.values, 'text') ?? `${filename} attached.`,
    attachments: [{ filename, content: { path: file }, contentType: MIME[extension] ?? 'application/octet-stream' }],
  };
  return withDevice(ctx, async (device) => {
    const result = await device.page('smtp').sendMail(message, { signal });
    ctx.out.result(
      { ok: true, command: 'send', file: filename, messageId: result.messageId, accepted: result.accepted, response: result.response },
      `sent ${filename} to ${result.accepted.join(', ')}: ${result.response}`,
    );
    return EXIT.ok;
  });
}

export async function remove(ctx: CommandContext): Promise<ExitCode> {
  const chosen = text(ctx.values, 'page') === undefined ? undefined : pageOf(ctx.values);
  return withDevice(ctx, async (device) => {
    const deleted: string[] = [];
    for (const id of chosen === undefined ? PAGES : [chosen]) {
      const page = device.page(id);
      if (chosen === undefined && page.status === 'not-acquired') continue;
      await page.deleteToken({ signal: ctx.signal });
      deleted.push(id);
    }
    const statusText = device.localize('not-acquired');
    ctx.out.result(
      { ok: true, command: 'delete', pages: deleted, status: 'not-acquired' },
      deleted.length === 0 ? 'no token to delete' : deleted.map((id) => `${id}: ${statusText}`).join('\n'),
    );
    return EXIT.ok;
  });
}
