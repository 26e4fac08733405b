#!/usr/bin/env node
// After `npm run build`: every value the bundled declarations promise (ESM `.d.ts`, CJS `.d.cts`)
// must exist at run time under `import()` / `require()`, and every run-time export must be
// declared as a value. A type-only export that the bundler turns into `declare class` would
// otherwise type-check in a consumer and fail at import. Also caps the main entry's name count.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The ceiling for the main entry (values and types together). */
const MAIN_ENTRY_MAX_NAMES = 70;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
// Self-reference by package name so the `exports` map itself is exercised, as a consumer sees it.
const requireFromRoot = createRequire(resolve(root, 'package.json'));

/** Whether a declaration makes an alias type-only (`export type { X }`, `export { type X }`, `import type`). */
function typeOnly(declaration) {
  if (ts.isExportSpecifier(declaration) || ts.isImportSpecifier(declaration)) {
    return declaration.isTypeOnly || declaration.parent.parent.isTypeOnly;
  }
  if (ts.isImportClause(declaration)) return declaration.isTypeOnly;
  return false;
}

/** Names the declaration file exports, split into values and types. */
function declaredExports(file) {
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const values = [];
  const types = [];
  for (const symbol of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
    let target = symbol;
    let onlyType = false;
    // Follow the alias chain: one type-only link anywhere makes the name a type for consumers.
    while (target.flags & ts.SymbolFlags.Alias) {
      if ((target.declarations ?? []).some(typeOnly)) onlyType = true;
      const next = checker.getImmediateAliasedSymbol(target);
      if (!next || next === target) break;
      target = next;
    }
    const isValue = !onlyType && (target.flags & ts.SymbolFlags.Value) !== 0;
    (isValue ? values : types).push(symbol.name);
  }
  return { values: values.sort(), types: types.sort() };
}

function runtimeNames(namespace) {
  return Object.keys(namespace)
    .filter((name) => name !== 'default' && name !== '__esModule')
    .sort();
}

const failures = [];
const specifierOf = (subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`);

for (const [subpath, conditions] of Object.entries(pkg.exports)) {
  if (typeof conditions !== 'object' || conditions === null || !conditions.import) continue;
  const specifier = specifierOf(subpath);
  for (const format of ['import', 'require']) {
    const typesFile = resolve(root, conditions[format].types);
    const declared = declaredExports(typesFile);
    const actual = format === 'import' ? runtimeNames(await import(specifier)) : runtimeNames(requireFromRoot(specifier));
    const missing = declared.values.filter((name) => !actual.includes(name));
    const undeclared = actual.filter((name) => !declared.values.includes(name));
    const label = `${specifier} (${format === 'import' ? 'ESM' : 'CJS'}, ${conditions[format].types})`;
    console.log(`${label}: ${declared.values.length} values, ${declared.types.length} types, ${actual.length} at run time`);
    for (const name of missing) failures.push(`${label}: '${name}' is declared as a value but missing at run time`);
    for (const name of undeclared) failures.push(`${label}: '${name}' exists at run time but is not declared as a value`);
    if (subpath === '.') {
      const total = declared.values.length + declared.types.length;
      console.log(`${label}: ${total} names in the main entry (at most ${MAIN_ENTRY_MAX_NAMES})`);
      if (total > MAIN_ENTRY_MAX_NAMES) failures.push(`${label}: ${total} names exceed ${MAIN_ENTRY_MAX_NAMES}`);
    }
  }
}

if (failures.length > 0) {
  for (const failure of failures) console.error(`check-exports: ${failure}`);
  process.exit(1);
}
console.log('check-exports: declarations and run-time exports agree');
