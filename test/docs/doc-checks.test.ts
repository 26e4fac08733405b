import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The two CI checks of issue 13 ("every code block is type-checked", "a public function or method
// without an example fails CI") are scripts; these tests prove each one goes red when it should.
const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'doc-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function node(script: string, args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'scripts', script), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function markdown(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('scripts/check-doc-blocks.mjs', () => {
  it('passes a guide whose blocks type-check against src/, with preludes and non-TypeScript blocks', async () => {
    const file = markdown(
      'good.md',
      [
        '# Guide',
        "<!-- file-prelude: import { createMailOAuth, mfpPages } from 'mail-oauth'; -->",
        '```sh',
        'npm test',
        '```',
        "<!-- prelude: declare const pageId: 'smtp.services'; -->",
        '```ts',
        'const device = await createMailOAuth({ providers: [], pages: mfpPages() });',
        'const status: string = device.page(pageId).status;',
        '```',
        '```ts ignore',
        'this is not TypeScript',
        '```',
      ].join('\n'),
    );
    const outcome = await node('check-doc-blocks.mjs', [file]);
    // stderr may carry a notice about type errors in src/ itself (the type-check's to report).
    expect(outcome.stderr).not.toMatch(/problem/);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/1 TypeScript blocks in 1 Markdown files type-check/);
  }, 60_000);

  it('fails on a block that calls the API wrongly, at the Markdown line, and on a block without a language', async () => {
    const file = markdown(
      'bad.md',
      [
        '# Guide',
        '',
        '```ts',
        "import { createMailOAuth, mfpPages } from 'mail-oauth';",
        'const device = await createMailOAuth({ providers: [], pages: mfpPages() });',
        "await device.page('smtp.services').getTokn({ flow: 'device-code' });",
        '```',
        '```',
        'plain',
        '```',
      ].join('\n'),
    );
    const outcome = await node('check-doc-blocks.mjs', [file]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/bad\.md:6: TS2551: Property 'getTokn' does not exist/);
    expect(outcome.stderr).toMatch(/bad\.md:8: a code block without a language/);
  }, 60_000);

  it('fails on a fragment whose free variables are not declared by a prelude', async () => {
    const file = markdown('fragment.md', ['```ts', 'await page.deleteToken();', '```'].join('\n'));
    const outcome = await node('check-doc-blocks.mjs', [file]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/fragment\.md:2: TS2304: Cannot find name 'page'/);
  }, 60_000);
});

describe('scripts/check-examples-tags.mjs', () => {
  it('lists every public function and method without an @example, skipping private and @internal ones', async () => {
    const outcome = await node('check-examples-tags.mjs', ['test/docs/fixtures/examples-missing.ts']);
    expect(outcome.code).toBe(1);
    const listed = outcome.stderr
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim().split(' ')[0]);
    expect(listed).toEqual(['Gadget.close', 'Widget.spin', 'undocumented']);
  }, 60_000);

  it('passes an entry whose functions and methods all have examples', async () => {
    const outcome = await node('check-examples-tags.mjs', ['test/docs/fixtures/examples-complete.ts']);
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/2 public functions and methods, each with an @example/);
  }, 60_000);
});
