// ESLint (flat config) with typescript-eslint, for the TypeScript bindings, the tests, the benchmark
// and the demo. `npm run lint` runs it, and Prettier's check (.prettierrc.json).
//
// assembly/ is not linted: it is AssemblyScript, whose decorators on functions (`@inline export
// function ...`) are not TypeScript syntax, so typescript-eslint's parser rejects every file there
// (the AssemblyScript compiler, `npm run build:wasm`, is its checker).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['assembly/**', 'build/**', 'dist/**', 'node_modules/**', 'bench/results/**', 'bench/go/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are unused on purpose (a callback's leading parameters).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // CommonJS files (a consumer's require of the package, in tests/pack/fixtures) use require.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
