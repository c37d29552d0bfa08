// ESLint for the frontend: the recommended JavaScript, TypeScript and Svelte
// rules, with type information off (svelte-check does the type checking).
import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default ts.config(
  { ignores: ['dist/', 'node_modules/', 'wailsjs/', 'e2e/.*'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // The stores' and components' Maps are private bookkeeping (event
      // cancellers, timers, put-away drafts) that no markup reads; what the
      // UI shows is $state. A SvelteMap would only add tracking.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    // The Wails runtime's event callbacks and the test fakes take any
    // arguments by design: each caller types its own payload.
    files: ['src/lib/wails.d.ts', 'src/test/fakes.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
  {
    files: ['e2e/**/*.mjs', '*.config.js', '*.config.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
);
