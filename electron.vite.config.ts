import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { contentSecurityPolicy } from './main/serve/content-security-policy.ts';

const root = import.meta.dirname;
const fromRoot = (file: string): string => resolve(root, file);

// Left out of the main bundle and loaded from node_modules at run time (electron-builder ships them;
// native ones are also unpacked from the asar, see electron-builder.yml).
const mainExternals = [
  // @duckdb/node-api and its per-platform binding packages: a native N-API addon that must stay a real file.
  /^@duckdb\//,
  // Native N-API addon: finds its prebuilt .node file relative to its own lib/ folder.
  'better-sqlite3',
  // Compiles TypeScript blocks at run time by spawning its platform binary, which a bundle cannot carry.
  'esbuild',
  // Large, and loaded by both main and the TypeScript-block worker: one copy from node_modules.
  'apache-arrow',
];

/** Writes the renderer's CSP into the built index.html: Electron cannot add headers to file:// pages reliably. */
function cspMetaTag(): Plugin {
  return {
    name: 'pipewright:csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy() }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  main: {
    build: {
      // Only the modules listed above stay external; the rest (zod, yaml, our code) is bundled.
      externalizeDeps: false,
      // Electron's own Node is 22 or newer. The CLI is bundled apart, by main/cli/build-cli.mjs, into out/cli/.
      target: 'node22',
      rolldownOptions: {
        input: {
          index: fromRoot('main/electron/main.ts'),
          // The TypeScript-block worker, started with `new Worker(...)` from out/main/ts-worker.js.
          'ts-worker': fromRoot('main/sandbox/ts-worker.ts'),
        },
        external: mainExternals,
        // Shared chunks sit beside the entries (not in chunks/): code that locates ts-worker.js relative to
        // its own module (`new URL('./ts-worker.js', import.meta.url)`) must find it wherever it lands.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload may require only 'electron' (and a few polyfilled modules): bundle everything else.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: fromRoot('preload/index.ts') },
        // Sandboxed preloads are loaded as CommonJS scripts, never as ES modules.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: fromRoot('renderer'),
    plugins: [react(), cspMetaTag()],
    build: {
      rolldownOptions: { input: { index: fromRoot('renderer/index.html') } },
    },
  },
});
