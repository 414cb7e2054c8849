// Lint config shared by every workspace (each runs `eslint .` from its own folder).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      'loadtest/out/**',
      '**/*.d.ts',
      // Minified bundles built from web/ and packages/overlay (scripts/bundle.mjs).
      'services/gateway/public/app.js',
      'services/gateway/public/overlay.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-empty': ['error', { allowEmptyCatch: false }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Pages and scripts that run in the browser.
    files: [
      '**/public/**/*.js',
      'packages/client/src/**',
      'packages/overlay/src/**',
      'services/gateway/web/**',
    ],
    languageOptions: { globals: { ...globals.browser } },
  },
);
