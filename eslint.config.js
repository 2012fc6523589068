import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The syntax-only presets: the type-checked ones would run the compiler inside lint (tsc does that job).
export default defineConfig([
  globalIgnores(['out/', 'dist/', 'node_modules/', '**/.pipewright/', 'bench/.work/', 'test-results/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `_name` marks a parameter a signature needs but the body does not.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The one choke point for opening URLs outside the app is openExternalSafely (main/electron/security.ts).
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='openExternal']", message: 'Use openExternalSafely() from main/electron/security.ts.' },
      ],
    },
  },
  {
    files: ['main/electron/security.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: globals.browser },
  },
]);
