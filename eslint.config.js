import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

// The layer map of main/ (README.md, "Layout"), bottom to top. A folder may import its own files, the folders of the
// layers below and the folders left of it in its own layer: never one above or to its right, so the folder graph
// of main/ is acyclic by construction (test/layers.test.ts). renderer/ may import only main/model/ and the contract.
// A new folder of main/ must be placed here: `boundaries/no-unknown-files` refuses a file outside every element.
export const LAYERS = [
  ['model'], // shared types: run events, block/pipeline types, graph, templating, schemas, errors, tiny pure helpers
  ['data', 'history', 'retention', 'postgres', 'cloud', 'project', 'connections', 'history-export', 'pushdown'], // adapters (pushdown: SQL run inside BigQuery or Postgres)
  ['python', 'sandbox'], // user code: Python, TypeScript
  ['blocks'], // block kinds
  ['engine'], // runs a pipeline with the connections, stores and kinds it is handed
  // schemas: design-time columns and lineage; dry-run: export plans (both read, never write; runtime gates runs on schemas)
  ['alerts', 'preflight', 'schemas', 'dry-run', 'runtime', 'orchestration', 'mage'], // around the engine: open a project, schedule, check
  ['api'], // the contract and its handlers
  ['serve', 'electron', 'cli'], // shells
];
const FOLDERS = LAYERS.flat();
/** The contract files of main/api/ the renderer may import (types only; the handlers stay in main). */
const CONTRACT_FILES = 'main/api/{contract,api-types,contract-views,connections-contract,edit-contract,design-contract}.ts';

const layerLint = {
  files: ['main/**/*.{ts,tsx,mts,mjs}', 'renderer/**/*.{ts,tsx}'],
  plugins: { boundaries },
  settings: {
    'boundaries/elements': [
      ...FOLDERS.map((folder) => ({ type: folder, pattern: `main/${folder}`, partialMatch: false })),
      { type: 'renderer', pattern: 'renderer', partialMatch: false },
    ],
    'boundaries/files': [{ category: 'contract', pattern: CONTRACT_FILES }],
    'import/resolver': { node: { extensions: ['.ts', '.tsx', '.mjs', '.js'] } },
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        policies: [
          ...FOLDERS.map((folder, i) => ({
            from: { element: { type: folder } },
            allow: { to: { element: { types: { anyOf: FOLDERS.slice(0, i + 1) } } } },
          })),
          { from: { element: { type: 'renderer' } }, allow: { to: { element: { types: { anyOf: ['renderer', 'model'] } } } } },
          { from: { element: { type: 'renderer' } }, allow: { to: { file: { categories: 'contract' } } } },
        ],
      },
    ],
    'boundaries/no-unknown-files': 'error',
  },
};

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
  layerLint,
]);
