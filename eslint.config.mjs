import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'common/src/generated/**', 'desktop-client/**/vendor/**', 'desktop-client/build/**', 'desktop-client/release/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // The web app: React's rules of hooks (the two classic rules; the compiler-based ones are not used).
    files: ['web-client/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', window: 'readonly', document: 'readonly' },
    },
  },
  {
    // The client core's main entry runs in the browser: no node: modules, only the protocol's codec entry.
    files: ['client/src/**/*.ts'],
    ignores: ['client/src/node/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: '@parley/protocol', message: 'Import @parley/protocol/codec (browser-safe); Node-only code goes in client/src/node.' },
          ...['ws', 'fs', 'net', 'crypto', 'events', 'buffer'].map((name) => ({ name, message: 'Browser entry: Node-only code goes in client/src/node.' })),
        ],
        patterns: [{ group: ['node:*'], message: 'Browser entry: Node-only code goes in client/src/node.' }],
      }],
    },
  },
  {
    files: ['**/test/**/*.ts', 'scripts/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
