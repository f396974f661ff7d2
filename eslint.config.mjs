// ESLint with typescript-eslint over every TypeScript file, tests included. The package
// boundaries are checked by dependency-cruiser (.dependency-cruiser.cjs); both run in `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/out/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // An async method implements an async interface (a strategy's `ask`, a rig's `run`) even where this
      // implementation has nothing to wait for; a missing await that matters is caught by no-floating-promises.
      '@typescript-eslint/require-await': 'off',
      // one import statement per module: what a file takes from a package reads in one place
      'no-duplicate-imports': 'error',
      // `_`-prefixed names say "deliberately unused" (a destructured field left out, a callback's first argument)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests read JSON answers and poke at what the service sends: untyped by nature, and checked by their assertions.
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // `(await query(...)) as Row[]` reads as well as `query<Row[]>(...)` for a test's one-off SQL
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
);
