#!/usr/bin/env node
// Type-checks every ```ts block of README.md and docs/**/*.md against the library's source, so a
// guide cannot drift from the API it teaches. Each block becomes its own module under
// .tmp/doc-blocks-*/ (one folder per run, removed afterwards), where a tsconfig maps `mail-oauth` and each subpath of package.json's `exports` to src/.
//
// Conventions in the Markdown:
//   <!-- prelude: declare const clientId: string; -->   right before a block: hidden lines put in
//                                                       front of it (free variables of a fragment)
//   <!-- file-prelude: … -->                            the same for every later block of the file
//   ```ts ignore                                        a block that is not TypeScript on purpose
// Blocks in other languages (sh, powershell, text, …) must name their language; a bare ``` fails.
//
//   node scripts/check-doc-blocks.mjs [file.md …]
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { publicEntries } from './lib/entries.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** README.md and every Markdown file under docs/ except the generated API reference. */
function markdownFiles() {
  const found = [join(root, 'README.md')];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && path !== join(root, 'docs', 'api')) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.md')) found.push(path);
    }
  };
  walk(join(root, 'docs'));
  return found;
}

const TS_LANGS = new Set(['ts', 'typescript']);

/**
 * The fenced blocks of one Markdown file, with the preludes that apply to each.
 * @returns {{ blocks: { lang: string, ignore: boolean, line: number, code: string, prelude: string }[], problems: string[] }}
 */
export function extractBlocks(text, label = 'file') {
  const lines = text.split(/\r?\n/);
  const blocks = [];
  const problems = [];
  let filePrelude = '';
  let pending = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const comment = /^<!--\s*(file-prelude|prelude):([\s\S]*?)-->\s*$/.exec(line);
    const opening = comment ? null : /^<!--\s*(file-prelude|prelude):/.exec(line);
    if (comment || opening) {
      // Multi-line comments run to the first line holding `-->`.
      let body = comment ? comment[2] : line.slice(opening[0].length);
      if (!comment) {
        while (++i < lines.length && !lines[i].includes('-->')) body += `\n${lines[i]}`;
        body += `\n${(lines[i] ?? '').slice(0, (lines[i] ?? '').indexOf('-->'))}`;
      }
      if ((comment ?? opening)[1] === 'file-prelude') filePrelude += `${body.trim()}\n`;
      else pending = `${body.trim()}\n`;
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') pending = '';
      continue;
    }
    const [, indent, marker, info] = fence;
    const [lang = '', ...flags] = info.trim().split(/\s+/);
    const start = i + 1;
    const body = [];
    while (
      ++i < lines.length &&
      !(lines[i].startsWith(indent + marker[0].repeat(marker.length)) && lines[i].trim() === marker[0].repeat(lines[i].trim().length))
    )
      body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i]);
    if (i >= lines.length) problems.push(`${label}:${start}: unterminated code block`);
    if (lang === '') problems.push(`${label}:${start}: a code block without a language (write \`\`\`ts, \`\`\`sh, \`\`\`text, …)`);
    blocks.push({
      lang: lang.toLowerCase(),
      ignore: flags.includes('ignore'),
      line: start,
      code: body.join('\n'),
      prelude: filePrelude + pending,
    });
    pending = '';
  }
  return { blocks, problems };
}

function main(files) {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const outDir = mkdtempSync(join(root, '.tmp', 'doc-blocks-'));
  try {
    return check(files, outDir);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

function check(files, outDir) {
  const problems = [];
  /** temp file → { md, line, preludeLines } to report diagnostics at the Markdown line. */
  const origin = new Map();
  let count = 0;
  for (const file of files) {
    const label = relative(root, file);
    const { blocks, problems: found } = extractBlocks(readFileSync(file, 'utf8'), label);
    problems.push(...found);
    for (const block of blocks) {
      if (!TS_LANGS.has(block.lang) || block.ignore) continue;
      const name = `${label.replace(/[^A-Za-z0-9]+/g, '_')}_L${block.line}.ts`;
      // `export {}` keeps each block a module (own scope, top-level await) even without imports.
      const text = `${block.prelude}${block.code}\nexport {};\n`;
      writeFileSync(join(outDir, name), text);
      origin.set(resolve(outDir, name), { md: label, line: block.line, preludeLines: block.prelude.split('\n').length - 1 });
      count++;
    }
  }
  const tsconfig = {
    extends: '../../tsconfig.json',
    compilerOptions: {
      noEmit: true,
      rootDir: '../..',
      // Blocks show how a consumer calls the API; an unused name in a fragment is not a defect.
      noUnusedLocals: false,
      paths: Object.fromEntries(publicEntries(root).map(({ specifier, file }) => [specifier, [relative(outDir, file)]])),
    },
    include: ['./*.ts'],
  };
  writeFileSync(join(outDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));

  const config = ts.getParsedCommandLineOfConfigFile(
    join(outDir, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (!config) throw new Error('doc-blocks tsconfig could not be read');
  const program = ts.createProgram(config.fileNames, config.options);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || origin.has(resolve(d.file.fileName)));
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) {
      problems.push(`tsconfig: ${message}`);
      continue;
    }
    const from = origin.get(resolve(diagnostic.file.fileName));
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const inBlock = line - from.preludeLines;
    const at = inBlock < 0 ? `${from.md}:${from.line - 1} (prelude)` : `${from.md}:${from.line + 1 + inBlock}`;
    problems.push(`${at}: TS${diagnostic.code}: ${message}`);
  }
  // Errors in src/ itself are the type-check's to report; count them so this check is not silently green.
  const elsewhere = ts.getPreEmitDiagnostics(program).length - diagnostics.length;
  if (elsewhere > 0) console.warn(`check-doc-blocks: ${elsewhere} type error(s) outside the blocks (see npm run typecheck)`);
  if (problems.length > 0) {
    console.error(`check-doc-blocks: ${problems.length} problem(s) in ${count} TypeScript blocks:\n${problems.join('\n')}`);
    return false;
  }
  console.log(`check-doc-blocks: ${count} TypeScript blocks in ${files.length} Markdown files type-check`);
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = main(process.argv.length > 2 ? process.argv.slice(2).map((file) => resolve(file)) : markdownFiles());
  process.exitCode = ok ? 0 : 1;
}
