import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(import.meta.dirname, '..');
const mainDir = path.join(repoRoot, 'main');
// The layer map lives once, in the lint config (a plain .js file, hence the typed dynamic import).
const { LAYERS } = (await import(new URL('../eslint.config.js', import.meta.url).href)) as { LAYERS: string[][] };

/** Every relative import, re-export and dynamic import of main/, type-only ones included. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx|mts|mjs)$/.test(entry.name) ? [full] : [];
  });
}

const folderOf = (file: string): string => {
  const parts = path.relative(mainDir, file).split(path.sep);
  return parts.length > 1 ? parts[0]! : '(main/ itself)';
};

/** Folder → the folders of main/ it imports. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(mainDir)) {
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = path.resolve(path.dirname(file), match[1]!);
      if (!target.startsWith(mainDir + path.sep)) continue;
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from === to) continue;
      graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

/** The strongly connected groups of more than one folder (Tarjan), i.e. the folder cycles. */
function folderCycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>(),
    stack: string[] = [],
    onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const v of new Set([...graph.keys(), ...[...graph.values()].flatMap((s) => [...s])])) if (!index.has(v)) visit(v);
  return cycles;
}

test('the folders of main/ import each other without a cycle, type-only imports included', () => {
  assert.deepEqual(folderCycles(folderGraph()), []);
});

test('the cycle check finds a cycle when there is one', () => {
  const graph = new Map([
    ['engine', new Set(['blocks'])],
    ['blocks', new Set(['data'])],
    ['data', new Set(['engine'])],
  ]);
  assert.deepEqual(folderCycles(graph), [['blocks', 'data', 'engine']]);
});

test('every folder of main/ has its place in the layer map, and no file sits in main/ itself', () => {
  const folders = readdirSync(mainDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  assert.deepEqual(folders, LAYERS.flat().sort());
  assert.deepEqual(
    sourceFiles(mainDir)
      .filter((f) => path.dirname(f) === mainDir)
      .map((f) => path.basename(f)),
    [],
  );
});

/** Lints `code` as if it were the file at `relPath` (nothing is written): the rule ids of the problems found. */
async function layerProblems(relPath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, relPath) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

test('lint refuses an import upward: the engine importing the runtime, the model importing an adapter', async () => {
  const engine = await layerProblems('main/engine/layer-fixture.ts', "export { RunLauncher } from '../runtime/run-launcher.ts';\n");
  assert.equal(engine.length, 1);
  assert.match(engine[0]!, /^boundaries\/dependencies: .*"engine".*"runtime"/);
  const model = await layerProblems('main/model/layer-fixture.ts', "export type { Workspace } from '../data/workspace.ts';\n");
  assert.match(model.join('\n'), /^boundaries\/dependencies: .*"model".*"data"/);
});

test('lint refuses an import that would close a cycle inside a layer (connections ← project)', async () => {
  const problems = await layerProblems(
    'main/project/layer-fixture.ts',
    "export { resolveConnection } from '../connections/resolve-connection.ts';\n",
  );
  assert.match(problems.join('\n'), /^boundaries\/dependencies: .*"project".*"connections"/);
});

test('lint lets a folder import the layers below it', async () => {
  const code = "export { runPipeline } from '../engine/run-pipeline.ts';\nexport type { RunEvent } from '../model/run-events.ts';\n";
  assert.deepEqual(await layerProblems('main/runtime/layer-fixture.ts', code), []);
});

test('lint holds the renderer to the model and the contract', async () => {
  const file = 'renderer/src/runs/layer-fixture.ts';
  assert.deepEqual(await layerProblems(file, "export type { RunEvent } from '../../../main/model/run-events.ts';\n"), []);
  assert.deepEqual(await layerProblems(file, "export type { RunSummary } from '../../../main/api/contract-views.ts';\n"), []);
  const handler = await layerProblems(file, "export type { RunSummary } from '../../../main/history/run-queries.ts';\n");
  assert.match(handler.join('\n'), /^boundaries\/dependencies: .*"renderer".*"history"/);
});

test('lint refuses a file in a folder of main/ the layer map does not name', async () => {
  const problems = await layerProblems('main/misc/layer-fixture.ts', 'export const x = 1;\n');
  assert.match(problems.join('\n'), /^boundaries\/no-unknown-files: /);
});
