import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { CancelledError, TimeoutError, UserError } from '../main/model/errors.ts';
import type { BlockContext } from '../main/model/block-kind.ts';
import type { LogLevel } from '../main/model/run-events.ts';
import type { BlockSession } from '../main/model/workspace-types.ts';
import type { BlockCode, LoadedBlock, Project } from '../main/model/project.ts';
import { projectFileSchema } from '../main/model/schema.ts';
import { runTypeScript } from '../main/sandbox/ts-runner.ts';
import { runTypeScriptTest } from '../main/sandbox/typescript-tests.ts';
import { typescriptTransform } from '../main/blocks/typescript-transform.ts';
import { runBlockTests } from '../main/engine/block-tests.ts';
import { typescriptSandbox } from '../main/sandbox/code-sandbox.ts';
import { Workspace } from '../main/data/workspace.ts';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
let projectDir = '';
let project: Project;

before(() => {
  projectDir = mkdtempSync(path.join(os.tmpdir(), 'pw-ts-'));
  project = {
    dir: projectDir,
    stateDir: path.join(projectDir, '.pipewright'),
    settings: projectFileSchema.parse({ name: 'ts-blocks' }),
    connections: {},
    pipelineIds: [],
  };
});

after(() => rmSync(projectDir, { recursive: true, force: true }));

/** Writes a project file and returns it as the loader would. */
function writeCode(relPath: string, text: string): BlockCode {
  const absPath = path.join(projectDir, relPath);
  mkdirSync(path.dirname(absPath), { recursive: true });
  writeFileSync(absPath, text);
  return { relPath, absPath, text };
}

/** Stands in for the data session where a test never touches it; any use fails the test loudly. */
const untouchedSession = new Proxy({} as BlockSession, {
  get: (_target, key) => {
    throw new Error(`this test does not expect data.${String(key)} to be used`);
  },
});

interface Built {
  ctx: BlockContext;
  logs: { level: LogLevel; message: string }[];
}

/** A BlockContext for one attempt of `block`, with its own temp dir under the project's state dir. */
function buildContext(
  block: { id: string; code?: BlockCode; upstream?: string[]; testCode?: Record<string, BlockCode> },
  opts: { data?: BlockSession; signal?: AbortSignal; variables?: Record<string, unknown>; onLog?: (message: string) => void } = {},
): Built {
  const tempDir = path.join(project.stateDir, 'tmp', `${block.id}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(tempDir, { recursive: true });
  const loaded: LoadedBlock = {
    id: block.id,
    type: 'transform',
    kind: 'typescript',
    file: block.code?.relPath,
    upstream: block.upstream ?? [],
    config: {},
    tests: [],
    code: block.code,
    testCode: block.testCode ?? {},
  };
  const logs: Built['logs'] = [];
  const ctx: BlockContext = {
    project,
    pipelineId: 'p',
    runId: 'run-1',
    originRunId: 'run-1',
    block: loaded,
    attempt: 1,
    data: opts.data ?? untouchedSession,
    variables: opts.variables ?? {},
    signal: opts.signal ?? new AbortController().signal,
    log: (level, message) => {
      logs.push({ level, message });
      opts.onLog?.(message);
    },
    progress: () => undefined,
    cacheDir: path.join(project.stateDir, 'cache'),
    tempDir,
  };
  return { ctx, logs };
}

function ipcOf(columns: Record<string, number[] | string[]>): Uint8Array {
  return tableToIPC(tableFromArrays(columns), 'stream');
}

/** Worker threads show up as MessagePorts among the process's active resources until they are gone. */
function liveMessagePorts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (err) {
    return err;
  }
  assert.fail('expected the promise to reject');
}

test('a compile error becomes a UserError naming the file, line and column', async () => {
  const code = writeCode('blocks/broken.ts', 'export default function () {\n  const x: number = ;\n  return x;\n}\n');
  const { ctx } = buildContext({ id: 'broken', code });
  const err = await rejection(runTypeScript({ ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] }));
  assert.ok(err instanceof UserError, String(err));
  assert.match(err.message, /Unexpected ";"/);
  assert.deepEqual(err.place, { block: 'broken', file: 'blocks/broken.ts', line: 2, column: 21 });
});

test('a compile error inside an imported helper names the helper file', async () => {
  writeCode('blocks/lib/bad-helper.ts', 'export const n: number = 1 +;\n');
  const code = writeCode('blocks/uses-bad.ts', "import { n } from './lib/bad-helper';\nexport default () => [{ n }];\n");
  const { ctx } = buildContext({ id: 'uses_bad', code });
  const err = await rejection(runTypeScript({ ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] }));
  assert.ok(err instanceof UserError);
  assert.equal(err.place.file, 'blocks/lib/bad-helper.ts');
  assert.equal(err.place.line, 1);
});

test('a block returning an Arrow table hands back its rows as Arrow IPC', async () => {
  const code = writeCode(
    'blocks/double.ts',
    [
      "import { tableFromArrays, type Table } from 'apache-arrow';",
      'export default function (inputs: { load: Table }) {',
      "  const fares = inputs.load.getChild('fare')!.toArray() as Float64Array;",
      '  return tableFromArrays({ fare: fares.map((f) => f * 2) });',
      '}',
    ].join('\n'),
  );
  const { ctx } = buildContext({ id: 'double', code, upstream: ['load'] });
  const input = tableToIPC(tableFromArrays({ fare: new Float64Array([1.5, 2, 10]) }), 'stream');
  const result = await runTypeScript({
    ctx,
    source: code,
    mode: 'transform',
    exportNames: ['default'],
    inputs: [{ id: 'load', ipc: input }],
  });
  assert.equal(result.type, 'table');
  if (result.type !== 'table') return;
  assert.deepEqual([...(tableFromIPC(result.ipc).getChild('fare')?.toArray() ?? [])], [3, 4, 20]);
});

test('a thrown error becomes a UserError at the line of the block file that threw', async () => {
  const code = writeCode(
    'blocks/thrower.ts',
    ['interface Row { id: number }', '', 'export default function (): Row[] {', "  throw new RangeError('no rows for today');", '}'].join(
      '\n',
    ),
  );
  const { ctx } = buildContext({ id: 'thrower', code });
  const err = await rejection(runTypeScript({ ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] }));
  assert.ok(err instanceof UserError, String(err));
  assert.equal(err.message, 'RangeError: no rows for today');
  assert.deepEqual(err.place, { block: 'thrower', file: 'blocks/thrower.ts', line: 4, column: 9 });
});

test('a relative import of a helper .ts file is bundled, and a throw inside it points at the helper', async () => {
  writeCode(
    'blocks/lib/money.ts',
    'export function cents(x: number): number {\n  if (x < 0) throw new Error(`negative amount ${x}`);\n  return Math.round(x * 100);\n}\n',
  );
  const code = writeCode(
    'blocks/to-cents.ts',
    "import { cents } from './lib/money.ts';\nexport default (inputs: { a: unknown }, ctx: { variables: { amount: number } }) => [{ c: cents(ctx.variables.amount) }];\n",
  );
  const ok = buildContext({ id: 'to_cents', code }, { variables: { amount: 12.345 } });
  const result = await runTypeScript({ ctx: ok.ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] });
  assert.deepEqual(result, { type: 'rows', rows: [{ c: 1235 }] });

  const bad = buildContext({ id: 'to_cents', code }, { variables: { amount: -1 } });
  const err = await rejection(runTypeScript({ ctx: bad.ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] }));
  assert.ok(err instanceof UserError);
  assert.equal(err.message, 'negative amount -1');
  assert.deepEqual(err.place, { block: 'to_cents', file: 'blocks/lib/money.ts', line: 2, column: 20 });
});

test('ctx.log and console output of the block arrive as logs, in order and with their levels', async () => {
  const code = writeCode(
    'blocks/chatty.ts',
    [
      'export default function (inputs: Record<string, { numRows: number }>, ctx: { log(m: string): void; blockId: string; runId: string }) {',
      '  ctx.log(`rows: ${inputs.up!.numRows} in ${ctx.blockId}/${ctx.runId}`);',
      "  console.log('counted %d', 3, { a: 1 });",
      "  console.warn('careful');",
      '  return [{ ok: true }];',
      '}',
    ].join('\n'),
  );
  const { ctx, logs } = buildContext({ id: 'chatty', code, upstream: ['up'] });
  await runTypeScript({
    ctx,
    source: code,
    mode: 'transform',
    exportNames: ['default'],
    inputs: [{ id: 'up', ipc: ipcOf({ i: [1, 2] }) }],
  });
  assert.deepEqual(logs, [
    { level: 'info', message: 'rows: 2 in chatty/run-1' },
    { level: 'info', message: 'counted 3 { a: 1 }' },
    { level: 'warn', message: 'careful' },
  ]);
});

test('a block stuck in while (true) {} is stopped promptly when the signal aborts, leaving no worker or temp file', async () => {
  const code = writeCode('blocks/spin.ts', "export default function () {\n  console.log('spinning');\n  while (true) {}\n}\n");
  const controller = new AbortController();
  let abortedAt = 0;
  let portsWhileRunning = 0;
  // Aborted once the block says it is in its loop.
  const { ctx } = buildContext(
    { id: 'spin', code },
    {
      signal: controller.signal,
      onLog: (message) => {
        if (message !== 'spinning') return;
        portsWhileRunning = liveMessagePorts();
        abortedAt = Date.now();
        controller.abort();
      },
    },
  );
  const portsBefore = liveMessagePorts();
  const err = await rejection(runTypeScript({ ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] }));
  assert.ok(err instanceof CancelledError, String(err));
  assert.ok(Date.now() - abortedAt < 5000, `took ${Date.now() - abortedAt} ms after the abort`); // it would spin forever
  assert.ok(portsWhileRunning > portsBefore, 'the worker was running when the signal aborted');
  assert.equal(liveMessagePorts(), portsBefore);
  assert.deepEqual(readdirSync(ctx.tempDir), []);
});

test('a timeout passed as the abort reason is what the run rejects with, even during a long async wait', async () => {
  const code = writeCode(
    'blocks/sleepy.ts',
    "export default async function () {\n  console.log('sleeping');\n  await new Promise((r) => setTimeout(r, 60_000));\n  return [];\n}\n",
  );
  const controller = new AbortController();
  const timeout = new TimeoutError('timed out after 0.3 s', { block: 'sleepy' });
  const { ctx } = buildContext(
    { id: 'sleepy', code },
    { signal: controller.signal, onLog: (message) => message === 'sleeping' && controller.abort(timeout) },
  );
  const started = Date.now();
  const err = await rejection(runTypeScript({ ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] }));
  assert.equal(err, timeout);
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`); // the block waits 60 s
  assert.deepEqual(readdirSync(ctx.tempDir), []);
});

test('an already aborted signal starts nothing', async () => {
  const code = writeCode('blocks/never.ts', 'export default () => [];\n');
  const { ctx } = buildContext({ id: 'never', code }, { signal: AbortSignal.abort() });
  const err = await rejection(runTypeScript({ ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] }));
  assert.ok(err instanceof CancelledError);
  assert.deepEqual(readdirSync(ctx.tempDir), []);
});

test('a return value that is neither a table nor rows is a UserError saying what came back and what is expected', async () => {
  const cases: [string, RegExp][] = [
    [
      'export default function () {}',
      /returned undefined \(is a return statement missing\?\); return an apache-arrow Table or an array of row objects/,
    ],
    ['export default () => 42', /returned a number \(42\)/],
    ["export default () => [{ a: 1 }, 'b']", /row 1 of the returned array is a string \("b"\)/],
    ['export default () => [{ f: () => 1 }]', /cannot leave the worker/],
    ['export const other = () => []', /^the file has no default export; it exports other$/],
    ['export default () => new Promise(() => {})', /never returned: its worker stopped \(exit code 0\)/],
  ];
  for (const [index, [text, expected]] of cases.entries()) {
    const code = writeCode(`blocks/bad-return-${index}.ts`, text + '\n');
    const { ctx } = buildContext({ id: `bad_return_${index}`, code });
    const err = await rejection(runTypeScript({ ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] }));
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, expected);
    assert.equal(err.place.file, code.relPath);
  }
});

test('a TypeScript test passes when its function returns and fails with the thrown message and place', async () => {
  const passing = writeCode(
    'blocks/tests/three-rows.ts',
    "import assert from 'node:assert/strict';\nimport type { Table } from 'apache-arrow';\nexport function test(output: Table) {\n  assert.equal(output.numRows, 3);\n}\n",
  );
  const failing = writeCode(
    'blocks/tests/positive.ts',
    [
      "import type { Table } from 'apache-arrow';",
      'export async function positive(output: Table, ctx: { log(m: string): void }) {',
      "  const fares = [...output.getChild('fare')!];",
      '  ctx.log(`checking ${fares.length} fares`);',
      "  if (fares.some((f) => f <= 0)) throw new Error('fares must be positive');",
      '}',
    ].join('\n'),
  );
  const { ctx, logs } = buildContext({ id: 'clean', testCode: { [passing.relPath]: passing, [failing.relPath]: failing } });
  const output = tableFromArrays({ fare: new Float64Array([3, 0, 7]) });

  const passed = await runTypeScriptTest(ctx, { name: 'three rows', file: passing.relPath }, output);
  assert.deepEqual(passed, { name: 'three rows', passed: true });

  const failed = await runTypeScriptTest(ctx, { name: 'positive', file: failing.relPath, export: 'positive' }, output);
  assert.deepEqual(failed, { name: 'positive', passed: false, message: 'fares must be positive (blocks/tests/positive.ts:5:40)' });
  assert.deepEqual(logs, [{ level: 'info', message: 'checking 3 fares' }]);

  const fewer = await runTypeScriptTest(
    ctx,
    { name: 'three rows', file: passing.relPath },
    tableFromArrays({ fare: new Float64Array([1]) }),
  );
  assert.equal(fewer.passed, false);
  assert.match(fewer.message ?? '', /^AssertionError: Expected values to be strictly equal:[\s\S]*\(blocks\/tests\/three-rows\.ts:4:10\)$/);
});

test('a TypeScript test that does not compile, or lacks its export, fails with the reason', async () => {
  const broken = writeCode('blocks/tests/broken.ts', 'export function test( {\n');
  const unnamed = writeCode('blocks/tests/unnamed.ts', 'export function check() {}\n');
  const { ctx } = buildContext({ id: 'clean', testCode: { [broken.relPath]: broken, [unnamed.relPath]: unnamed } });
  const output = tableFromArrays({ i: [1] });
  const compile = await runTypeScriptTest(ctx, { name: 'broken', file: broken.relPath }, output);
  assert.deepEqual(compile, {
    name: 'broken',
    passed: false,
    message: 'Expected identifier but found end of file (blocks/tests/broken.ts:2:1)',
  });
  const missing = await runTypeScriptTest(ctx, { name: 'unnamed', file: unnamed.relPath }, output);
  assert.deepEqual(missing, {
    name: 'unnamed',
    passed: false,
    message: 'the file has no export named test or default export; it exports check (blocks/tests/unnamed.ts)',
  });
});

test('a TypeScript test that hangs is stopped by the abort signal instead of failing', async () => {
  const hang = writeCode('blocks/tests/hang.ts', "export function test() {\n  console.log('hanging');\n  for (;;) {}\n}\n");
  const controller = new AbortController();
  const onLog = (message: string) => message === 'hanging' && controller.abort(new TimeoutError('timed out after 0.3 s'));
  const { ctx } = buildContext({ id: 'clean', testCode: { [hang.relPath]: hang } }, { signal: controller.signal, onLog });
  const err = await rejection(runTypeScriptTest(ctx, { name: 'hang', file: hang.relPath }, tableFromArrays({ i: [1] })));
  assert.ok(err instanceof TimeoutError, String(err));
});

test('a bundled build runs blocks through ts-worker.js emitted beside the bundle, without tsx', async () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'pw-bundle-'));
  try {
    // Bare imports left external by the bundle resolve through this link, as they would in the packaged app.
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(outDir, 'node_modules'), 'junction');
    writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module" }');
    await esbuild.build({
      entryPoints: {
        index: path.join(repoRoot, 'main/sandbox/ts-runner.ts'),
        'ts-worker': path.join(repoRoot, 'main/sandbox/ts-worker.ts'),
      },
      outdir: outDir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const bundled = (await import(pathToFileURL(path.join(outDir, 'index.js')).href)) as { runTypeScript: typeof runTypeScript };
    const code = writeCode(
      'blocks/bundled.ts',
      "import { tableFromArrays } from 'apache-arrow';\nexport default () => tableFromArrays({ n: [1, 2, 3] });\n",
    );
    const { ctx } = buildContext({ id: 'bundled', code });
    const result = await bundled.runTypeScript({ ctx, source: code, mode: 'transform', exportNames: ['default'], inputs: [] });
    assert.equal(result.type, 'table');
    if (result.type === 'table') assert.deepEqual([...(tableFromIPC(result.ipc).getChild('n') ?? [])], [1, 2, 3]);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('a block returning an empty array is told to return an empty Arrow table instead', async () => {
  const code = writeCode('blocks/nothing.ts', 'export default () => [];\n');
  const { ctx } = buildContext({ id: 'nothing', code });
  const err = await rejection(typescriptTransform.run(ctx, {}));
  assert.ok(err instanceof UserError, String(err));
  assert.match(err.message, /empty array, which has no columns; return an empty apache-arrow Table/);
  assert.equal(err.place.file, 'blocks/nothing.ts');
});

/** A real workspace in the temp project with upstream outputs seeded by SQL, as a run would have published them. */
async function withWorkspace(
  seeds: Record<string, string>,
  body: (session: (blockId: string, upstream: string[]) => Promise<BlockSession>) => Promise<void>,
): Promise<void> {
  const workspace = await Workspace.open({ path: path.join(project.stateDir, 'workspace.duckdb'), threads: 1 });
  const runId = `run_${Math.random().toString(36).slice(2)}`;
  workspace.beginRun(runId);
  const runOutputs = new Map<string, string>();
  const sessions: BlockSession[] = [];
  const open = async (blockId: string, upstream: string[]) => {
    const session = await workspace.openBlockSession({ pipelineId: 'p', blockId, runId, attempt: 1, runOutputs, readable: upstream });
    sessions.push(session);
    return session;
  };
  try {
    for (const [blockId, sql] of Object.entries(seeds)) {
      const session = await open(blockId, []);
      const rows = await session.writeOutputFromQuery(sql);
      await workspace.publish({ pipelineId: 'p', blockId, runId, physical: session.outputTable!, rows });
      runOutputs.set(blockId, session.outputTable!);
    }
    await body(open);
  } finally {
    for (const session of sessions) await session.close();
    await workspace.endRun(runId);
    await workspace.close();
  }
}

const trips = `select * from (values (1, 10, 12.5, 'cash'), (2, 20, 0.0, 'card'), (3, 10, 7.25, 'card'), (4, 30, 3.0, 'cash'))
  as t(trip_id, zone_id, fare, payment)`;
const zones = `select * from (values (10, 'Midtown'), (20, 'Harlem')) as z(zone_id, zone)`;

test('an async block joining two upstream tables writes its rows to DuckDB with inferred types and counts', async () => {
  const code = writeCode(
    'blocks/trips-with-zones.ts',
    [
      "import type { Table } from 'apache-arrow';",
      'export default async function (inputs: { trips: Table; zones: Table }, ctx: { variables: { min_fare: number } }) {',
      '  await new Promise((r) => setTimeout(r, 10));',
      '  const names = new Map(inputs.zones.toArray().map((z) => [z.zone_id, z.zone as string]));',
      '  return inputs.trips.toArray()',
      '    .filter((t) => t.fare >= ctx.variables.min_fare)',
      "    .map((t) => ({ ...t.toJSON(), zone: names.get(t.zone_id) ?? null, is_cash: t.payment === 'cash' }));",
      '}',
    ].join('\n'),
  );
  await withWorkspace({ trips, zones }, async (open) => {
    const data = await open('enriched', ['trips', 'zones']);
    const { ctx } = buildContext({ id: 'enriched', code, upstream: ['trips', 'zones'] }, { data, variables: { min_fare: 3 } });
    const outcome = await typescriptTransform.run(ctx, {});
    assert.deepEqual(outcome, { rowsIn: 6, rowsOut: 3, hasOutput: true });
    const described = await data.describe('enriched');
    assert.deepEqual(described.columns, [
      // Rows carry JS numbers: whole ones are inferred as BIGINT whatever their upstream width.
      { name: 'trip_id', type: 'BIGINT' },
      { name: 'zone_id', type: 'BIGINT' },
      { name: 'fare', type: 'DOUBLE' },
      { name: 'payment', type: 'VARCHAR' },
      { name: 'zone', type: 'VARCHAR' },
      { name: 'is_cash', type: 'BOOLEAN' },
    ]);
    const rows = await data.queryRows(`select trip_id::int as id, zone, is_cash from ${data.relation('enriched')} order by trip_id`);
    assert.deepEqual(rows, [
      { id: 1, zone: 'Midtown', is_cash: true },
      { id: 3, zone: 'Midtown', is_cash: false },
      { id: 4, zone: null, is_cash: true },
    ]);
  });
});

test('a block returning an Arrow table keeps its DuckDB column types, and its tests run on the output', async () => {
  const code = writeCode(
    'blocks/first-two.ts',
    "import type { Table } from 'apache-arrow';\nexport function firstTwo(inputs: { events: Table }) {\n  return inputs.events.slice(0, 2);\n}\n",
  );
  const test = writeCode(
    'blocks/tests/two-rows.ts',
    "import type { Table } from 'apache-arrow';\nexport function test(output: Table) {\n  if (output.numRows !== 2) throw new Error(`expected 2 rows, got ${output.numRows}`);\n}\n",
  );
  const events = `select i::bigint as id, timestamp '2024-03-01 08:00:00' + to_minutes(i) as seen_at, date '2024-03-01' + i::int as day,
    (i * 1.25)::decimal(10,2) as amount from range(5) r(i)`;
  await withWorkspace({ events }, async (open) => {
    const data = await open('first_two', ['events']);
    const { ctx, logs } = buildContext({ id: 'first_two', code, upstream: ['events'], testCode: { [test.relPath]: test } }, { data });
    ctx.block.tests = [
      { name: 'two rows', file: test.relPath },
      { name: 'ids below 2', sql: 'select * from first_two where id >= 2' },
    ];
    const outcome = await typescriptTransform.run(ctx, { export: 'firstTwo' });
    assert.deepEqual(outcome, { rowsIn: 5, rowsOut: 2, hasOutput: true });
    const described = await data.describe('first_two');
    // DECIMAL reaches blocks as Float64 (the workspace's documented Arrow mapping) and goes back as its DECIMAL.
    assert.deepEqual(
      described.columns.map((c) => c.type),
      ['BIGINT', 'TIMESTAMP', 'DATE', 'DECIMAL(10,2)'],
    );
    const rows = await data.queryRows(
      `select id::int as id, strftime(seen_at, '%H:%M') as at, day::varchar as day, amount from ${data.relation('first_two')} order by id`,
    );
    assert.deepEqual(rows, [
      { id: 0, at: '08:00', day: '2024-03-01', amount: 0 },
      { id: 1, at: '08:01', day: '2024-03-02', amount: 1.25 },
    ]);
    const results = await runBlockTests(ctx, typescriptSandbox);
    assert.deepEqual(results, [
      { name: 'two rows', passed: true },
      { name: 'ids below 2', passed: true },
    ]);
    assert.deepEqual(logs, []);
  });
});

test('in a pipeline run, a TypeScript block and its test succeed, and a spinning block is stopped by its timeout', async () => {
  const temp = createTempProject();
  temp.writeFile(
    'blocks/doubled.ts',
    "export default (inputs: { nums: { toArray(): { i: bigint }[] } }, ctx: { log(m: string): void }) => {\n  ctx.log('doubling');\n  return inputs.nums.toArray().map((r) => ({ i: r.i * 2n }));\n};\n",
  );
  temp.writeFile(
    'blocks/tests/even.ts',
    "import type { Table } from 'apache-arrow';\nexport function test(output: Table) {\n  for (const i of output.getChild('i')!) if (i % 2n !== 0n) throw new Error(`odd ${i}`);\n}\n",
  );
  temp.writeFile('blocks/spin.ts', 'export default () => {\n  for (;;) {}\n};\n');
  temp.writePipeline('p', {
    blocks: [
      { id: 'nums', type: 'source', kind: 'test_rows', config: { rows: 4 } },
      {
        id: 'doubled',
        type: 'transform',
        kind: 'typescript',
        file: 'blocks/doubled.ts',
        upstream: ['nums'],
        tests: [{ name: 'even', file: 'blocks/tests/even.ts' }],
      },
      { id: 'spin', type: 'transform', kind: 'typescript', file: 'blocks/spin.ts', upstream: ['nums'], timeout: 0.5 },
    ],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const events: RunEvent[] = [];
    const started = Date.now();
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e) =>
      events.push(e),
    );
    assert.ok(Date.now() - started < 20_000, `the run took ${Date.now() - started} ms`); // the spin never ends by itself
    assert.equal(result.status, 'failed');
    const succeeded = events.find((e) => e.type === 'block.succeeded' && e.blockId === 'doubled');
    assert.ok(succeeded?.type === 'block.succeeded');
    assert.equal(succeeded.rowsOut, 4);
    assert.deepEqual(succeeded.tests, [{ name: 'even', passed: true }]);
    assert.ok(events.some((e) => e.type === 'log.written' && e.blockId === 'doubled' && e.message === 'doubling'));
    const failed = events.find((e) => e.type === 'block.failed' && e.blockId === 'spin');
    assert.ok(
      failed?.type === 'block.failed',
      JSON.stringify(events.filter((e) => e.type !== 'log.written' && 'blockId' in e && e.blockId === 'spin')),
    );
    assert.match(failed.error.message, /timed out after 0.5 s/);
    assert.ok(failed.durationMs < 10_000, `spin ran ${failed.durationMs} ms`);
  } finally {
    await open.close();
    temp.cleanup();
  }
});
