/**
 * The CLI's command dispatch, apart from the process it runs in (see `main.ts`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { localizeError, MailOAuthError } from '../index.js';
import { login, remove, send, status, test, type CommandContext } from './commands.js';
import { EXIT, exitCodeOfError, CommandLineError, type ExitCode } from './exit.js';
import { HELP } from './help.js';
import { createOutput } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  store: { type: 'string' },
  'store-key-file': { type: 'string' },
  'passphrase-env': { type: 'string' },
  locale: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const COMMANDS: Readonly<Record<string, { run: (ctx: CommandContext) => Promise<ExitCode>; options: Options; positionals?: boolean }>> = {
  login: {
    run: login,
    options: {
      provider: { type: 'string' },
      'client-id': { type: 'string' },
      tenant: { type: 'string' },
      issuer: { type: 'string' },
      scopes: { type: 'string' },
      page: { type: 'string' },
      account: { type: 'string' },
      server: { type: 'string' },
      port: { type: 'string' },
      security: { type: 'string' },
      'sender-address': { type: 'string' },
      'sender-name': { type: 'string' },
      ca: { type: 'string' },
      'allow-plaintext': { type: 'boolean' },
      flow: { type: 'string' },
      redirect: { type: 'string' },
      wait: { type: 'string' },
    },
  },
  status: { run: status, options: {} },
  test: { run: test, options: { page: { type: 'string' }, timeout: { type: 'string' } } },
  send: {
    run: send,
    options: { to: { type: 'string', multiple: true }, subject: { type: 'string' }, text: { type: 'string' }, timeout: { type: 'string' } },
    positionals: true,
  },
  delete: { run: remove, options: { page: { type: 'string' } } },
};

/** Where {@link main} writes, and what stops it. */
export interface MainOptions {
  /** Aborts a waiting command (Ctrl-C). */
  signal?: AbortSignal;
  /** Default `process.stdout`. */
  stdout?: NodeJS.WritableStream;
  /** Default `process.stderr`. */
  stderr?: NodeJS.WritableStream;
}

/** Runs one command line; resolves with the exit code (the process is left to the caller). */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<ExitCode> {
  const { signal = new AbortController().signal, stdout = process.stdout, stderr = process.stderr } = options;
  const [name, ...rest] = argv;
  const wantsJson = rest.includes('--json');
  const out = createOutput(wantsJson, stdout, stderr);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    stdout.write(`${HELP.main}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    out.failure(
      { ok: false, code: 'usage', message: `unknown command "${name}"` },
      `mail-oauth: unknown command "${name}"\n\n${HELP.main}`,
    );
    return EXIT.usage;
  }
  let locale: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: { ...COMMON, ...command.options },
      allowPositionals: command.positionals === true,
      strict: true,
    });
    if (values.help === true) {
      stdout.write(`${HELP[name] ?? HELP.main}\n`);
      return EXIT.ok;
    }
    locale = typeof values.locale === 'string' ? values.locale : undefined;
    return await command.run({ values, positionals, out, signal });
  } catch (err) {
    const code = exitCodeOfError(
      err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS') ? new CommandLineError(err.message) : err,
    );
    if (code === EXIT.usage) {
      const message = err instanceof Error ? err.message : String(err);
      out.failure(
        { ok: false, command: name, code: 'usage', message },
        `mail-oauth ${name}: ${message}\nRun 'mail-oauth ${name} --help' for its options.`,
      );
    } else if (err instanceof MailOAuthError) {
      const message = localizeError(err, locale);
      const json: Record<string, unknown> = { ok: false, command: name, code: err.code, message };
      if (err.hint !== undefined) json.hint = err.hint;
      out.failure(json, [`mail-oauth ${name}: ${message} (${err.code})`, ...(err.hint === undefined ? [] : [err.hint])].join('\n'));
    } else {
      // Uncoded failures (an unreadable file): their own message names the file, never a token.
      const message = err instanceof Error ? err.message : String(err);
      out.failure({ ok: false, command: name, code: 'error', message }, `mail-oauth ${name}: ${message}`);
    }
    return code;
  }
}
