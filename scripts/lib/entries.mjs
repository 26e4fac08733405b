// The package's public entry points, as source files: each `exports` subpath of package.json
// (`.`, `./provider`, `./postgres`, …) mapped to `src/<name>.ts` or `src/<name>/index.ts`.
// The doc checks read them from here so that a new subpath is covered without editing them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {string} root the repository root
 * @returns {{ specifier: string, file: string }[]} e.g. `{ specifier: 'mail-oauth/pop3', file: '<root>/src/pop3.ts' }`
 */
export function publicEntries(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entries = [];
  for (const subpath of Object.keys(pkg.exports ?? {})) {
    if (subpath.endsWith('.json')) continue;
    const name = subpath === '.' ? 'index' : subpath.slice(2);
    const file = [join(root, 'src', `${name}.ts`), join(root, 'src', name, 'index.ts')].find((candidate) => existsSync(candidate));
    if (file === undefined) throw new Error(`package.json exports ${subpath}, but neither src/${name}.ts nor src/${name}/index.ts exists`);
    entries.push({ specifier: subpath === '.' ? pkg.name : `${pkg.name}/${name}`, file });
  }
  return entries;
}
