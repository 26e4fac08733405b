// Type-aware lint for the library, its tests, scripts and examples; formatting is prettier's job.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'coverage/', 'docs/api/', 'node_modules/', '.tmp/', '**/*.d.ts'],
  },
  {
    // Only these trees are linted; root config files (vitest, tsup) are not in any tsconfig.
    files: ['src/**/*.ts', 'test/**/*.ts', 'scripts/**/*.{ts,mjs,js}', 'examples/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // src with the library's own options, everything else with the tests' (which include examples/ and scripts/).
        project: ['./tsconfig.json', './test/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Defects: a promise nobody awaits loses its rejection; an async callback where a sync one is expected races.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // verbatimModuleSyntax erases nothing on its own: a type imported as a value would stay in the emitted JS.
      // `import('imapflow').X` annotations stay allowed: they name a lazily loaded module's types where they are used.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always'],
      // Off: stores and adapters are `async` without `await` on purpose, so a synchronous throw becomes a rejection.
      '@typescript-eslint/require-await': 'off',
      // Off: the validators exist to reject control characters, so their patterns name them.
      'no-control-regex': 'off',
    },
  },
  {
    // Plain JavaScript (benchmark scripts) is in no tsconfig: lint it without type information.
    files: ['scripts/**/*.{mjs,js}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
  prettier,
);
