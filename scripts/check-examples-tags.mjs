#!/usr/bin/env node
// Fails when a public function or method reachable from a public entry point has no `@example` in its
// TSDoc. The API reference is where integrators copy from; a method without an example is the
// one they get wrong (issue 13). Walks the entry's exports with the compiler API, into classes
// and interfaces for their methods; members marked `@internal` (hidden by typedoc) are skipped.
//
//   node scripts/check-examples-tags.mjs [entry …]     (default: every subpath of package.json `exports`)
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { publicEntries } from './lib/entries.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entries =
  process.argv.length > 2 ? process.argv.slice(2).map((file) => resolve(root, file)) : publicEntries(root).map(({ file }) => file);

const config = ts.getParsedCommandLineOfConfigFile(
  resolve(root, 'tsconfig.json'),
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
);
if (!config) throw new Error('tsconfig.json could not be read');
const program = ts.createProgram(entries, { ...config.options, noEmit: true });
const checker = program.getTypeChecker();

/** Whether the declaration is our own source: not lib.d.ts (Error, Promise) and not a dependency. */
function ours(declaration) {
  const file = declaration.getSourceFile();
  return !program.isSourceFileDefaultLibrary(file) && !program.isSourceFileFromExternalLibrary(file) && !file.isDeclarationFile;
}

/** JSDoc tag names on a declaration, including those of an overload's shared comment. */
function tagNames(declaration) {
  return new Set(ts.getJSDocTags(declaration).map((tag) => tag.tagName.text));
}

const hidden = (declaration) => tagNames(declaration).has('internal') || tagNames(declaration).has('hidden');

/** Whether a member is part of the public surface: not private, protected or `#private`. */
function publicMember(declaration) {
  if (declaration.name && ts.isPrivateIdentifier(declaration.name)) return false;
  const flags = ts.getCombinedModifierFlags(declaration);
  return !(flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
}

function where(declaration) {
  const file = declaration.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(declaration.getStart());
  return `${relative(root, file.fileName)}:${line + 1}`;
}

const missing = new Map();
const checked = new Set();

/** Records the callable declarations of a symbol that lack `@example` (one overload with it suffices). */
function check(label, declarations) {
  const own = declarations.filter(ours).filter((declaration) => !hidden(declaration));
  if (own.length === 0) return;
  const key = own[0];
  if (checked.has(key)) return;
  checked.add(key);
  if (!own.some((declaration) => tagNames(declaration).has('example'))) missing.set(key, label);
}

const isMethod = (declaration) =>
  ts.isMethodDeclaration(declaration) || ts.isMethodSignature(declaration) || ts.isFunctionDeclaration(declaration);

function walkMembers(owner, type) {
  for (const member of checker.getPropertiesOfType(type)) {
    const declarations = (member.getDeclarations() ?? []).filter(isMethod).filter(publicMember);
    if (declarations.length > 0) check(`${owner}.${member.getName()}`, declarations);
  }
}

for (const entry of entries) {
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`not a module: ${entry}`);
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.getDeclarations() ?? [];
    if (declarations.some(hidden)) continue;
    const name = exported.getName();
    if (symbol.flags & ts.SymbolFlags.Function) check(name, declarations.filter(isMethod));
    if (symbol.flags & ts.SymbolFlags.Class) {
      walkMembers(name, checker.getDeclaredTypeOfSymbol(symbol));
      // Static methods live on the constructor's type.
      walkMembers(name, checker.getTypeOfSymbol(symbol));
    }
    if (symbol.flags & ts.SymbolFlags.Interface) walkMembers(name, checker.getDeclaredTypeOfSymbol(symbol));
  }
}

if (missing.size > 0) {
  const lines = [...missing].map(([declaration, label]) => `  ${label}  (${where(declaration)})`).sort();
  console.error(`${missing.size} public function(s)/method(s) without an @example in their TSDoc:\n${lines.join('\n')}`);
  process.exit(1);
}
console.log(`check-examples-tags: ${checked.size} public functions and methods, each with an @example`);
