import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import { pruneProject } from '../main/retention/prune-project.ts';
import { chooseOutputsToDrop } from '../main/retention/output-policy.ts';
import type { StoredOutput } from '../main/data/stored-outputs.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { runCli } from './helpers/run-cli.ts';

const DAY = 86_400_000;
const rows = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'source',
  kind: 'test_rows',
  config: { rows: 1000 },
  ...extra,
});

async function withProject(
  retention: Record<string, unknown>,
  body: (open: OpenProject, temp: TempProject) => Promise<void>,
): Promise<void> {
  const temp = createTempProject({ retention });
  temp.writePipeline('p', { blocks: [rows('a'), rows('b')] });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    await body(open, temp);
  } finally {
    await open.close();
    temp.cleanup();
  }
}

async function runPipeline(open: OpenProject, id = 'p'): Promise<string> {
  const result = await open.run({ pipeline: await open.loadPipeline(id), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
  assert.equal(result.status, 'succeeded');
  return result.runId;
}

/** Moves a run (and its log lines) `days` into the past, as if it ran then. */
function age(open: OpenProject, runId: string, days: number): void {
  const db = new Database(path.join(open.project.stateDir, 'history.sqlite'));
  const shift = days * DAY;
  db.prepare('UPDATE runs SET started_at = started_at - ?, finished_at = finished_at - ? WHERE id = ?').run(shift, shift, runId);
  db.prepare('UPDATE logs SET at = at - ? WHERE run_id = ?').run(shift, runId);
  db.close();
}

test('prune deletes finished runs and log lines past their age, never a running run; --dry-run only counts', async () => {
  await withProject({ runs_days: 30, logs_days: 7 }, async (open) => {
    const ancient = await runPipeline(open);
    const oldish = await runPipeline(open);
    const fresh = await runPipeline(open);
    for (const id of [ancient, oldish, fresh])
      open.store.record({ type: 'log.written', runId: id, blockId: null, level: 'info', message: `line of ${id}`, at: Date.now() });
    age(open, ancient, 40);
    age(open, oldish, 10);
    // A run still going, started long ago (its process is this one, so it is not an orphan).
    open.store.record({
      type: 'run.started',
      runId: 'r_running',
      pipelineId: 'p',
      scope: { kind: 'pipeline' },
      blocks: ['a'],
      trigger: { kind: 'test' },
      variables: {},
      pipelineHash: 'x',
      codeHash: 'y',
      at: Date.now() - 90 * DAY,
    });

    const dry = await pruneProject({ project: open.project, store: open.store }, { isDryRun: true });
    assert.deepEqual([dry.runs, dry.logs > 0], [1, true]);
    assert.ok(open.store.getRun(ancient), 'a dry run deletes nothing');

    const report = await pruneProject({ project: open.project, store: open.store });
    assert.deepEqual([report.runs, report.logs], [dry.runs, dry.logs]);
    assert.equal(open.store.getRun(ancient), undefined);
    assert.ok(open.store.getRun(oldish), 'runs younger than runs_days stay');
    assert.deepEqual(open.store.getLogs(oldish), [], 'their old log lines go');
    assert.deepEqual(
      open.store
        .getLogs(fresh)
        .map((l) => l.message)
        .filter((m) => m.startsWith('line of')),
      [`line of ${fresh}`],
    );
    assert.equal(open.store.getRun('r_running')?.status, 'running');
  });
});

test('pruning outputs keeps the latest output of every block that exists and evicts outputs of removed blocks to fit the budget', async () => {
  await withProject({ outputs_max_gb: 1e-9 }, async (open, temp) => {
    temp.writePipeline('q', { blocks: [rows('c'), rows('d')] });
    await runPipeline(open, 'q');
    await runPipeline(open, 'p');
    temp.writePipeline('q', { blocks: [rows('d')] }); // block c was deleted in the editor

    const dry = await pruneProject({ project: open.project, store: open.store, workspace: open.workspace }, { isDryRun: true });
    assert.deepEqual(
      dry.outputs.map((o) => o.latestOf?.blockId),
      ['c'],
    );
    assert.ok(dry.outputBytes > 0);
    assert.deepEqual(
      (await open.workspace.latestOutputs('q')).map((o) => o.blockId),
      ['c', 'd'],
      'a dry run drops nothing',
    );

    const report = await pruneProject({ project: open.project, store: open.store, workspace: open.workspace });
    assert.deepEqual(
      report.outputs.map((o) => o.latestOf?.blockId),
      ['c'],
    );
    assert.deepEqual(
      (await open.workspace.latestOutputs('q')).map((o) => o.blockId),
      ['d'],
    );
    assert.deepEqual(
      (await open.workspace.latestOutputs('p')).map((o) => o.blockId),
      ['a', 'b'],
      'over budget, yet every live block keeps its latest output',
    );
    await assert.rejects(open.workspace.query('select * from q.c', { offset: 0, limit: 1 }), /c/);
  });
});

test("retention runs by itself after each run and says what it deleted in that run's log", async () => {
  await withProject({ runs_days: 1 }, async (open) => {
    const old = await runPipeline(open);
    age(open, old, 3);
    const next = await runPipeline(open);
    assert.equal(open.store.getRun(old), undefined);
    assert.ok(
      open.store.getLogs(next).some((l) => /^retention: deleted 1 old runs, [1-9]\d* log lines$/.test(l.message)),
      "with the old run's lines",
    );
  });
});

test('the output policy keeps the newest N per block, never a held or live latest output, and evicts oldest first', () => {
  const out = (physical: string, blockKey: string, createdAt: number, extra: Partial<StoredOutput> = {}): StoredOutput => ({
    physical,
    blockKey,
    createdAt,
    bytes: 100,
    isHeld: false,
    ...extra,
  });
  const latest = (pipelineId: string, blockId: string) => ({ latestOf: { pipelineId, blockId, runId: 'r' } });
  const outputs = [
    out('p__a__3', 'p__a', 3, latest('p', 'a')),
    out('p__a__2', 'p__a', 2),
    out('p__a__1', 'p__a', 1),
    out('p__b__9', 'p__b', 9, latest('p', 'b')),
    out('p__b__8', 'p__b', 8, { isHeld: true }),
    out('p__b__7', 'p__b', 7),
    out('gone__x__5', 'gone__x', 5, latest('gone', 'x')),
  ];
  const isLiveBlock = (pipelineId: string) => pipelineId === 'p';
  const names = (picked: StoredOutput[]) => picked.map((o) => o.physical).sort();
  assert.deepEqual(names(chooseOutputsToDrop(outputs, { keepLast: 2, isLiveBlock })), ['p__a__1', 'p__b__7']);
  assert.deepEqual(
    names(chooseOutputsToDrop(outputs, { keepLast: 1, isLiveBlock })),
    ['p__a__1', 'p__a__2', 'p__b__7'],
    'held p__b__8 stays',
  );
  assert.deepEqual(
    names(chooseOutputsToDrop(outputs, { maxBytes: 550, isLiveBlock })),
    ['p__a__1', 'p__a__2'],
    'oldest first, only until it fits',
  );
  assert.deepEqual(
    names(chooseOutputsToDrop(outputs, { maxBytes: 0, isLiveBlock: () => undefined })),
    ['p__a__1', 'p__a__2', 'p__b__7'],
    'unknown blocks count as live',
  );
});

test('`pipewright prune --dry-run --json` reports without deleting', async () => {
  await withProject({ runs_days: 1 }, async (open, temp) => {
    const old = await runPipeline(open);
    await runPipeline(open); // the newest log line (always kept, with its run) is this one's
    const oldLines = open.store.getLogs(old).length;
    await open.close();
    const db = new Database(path.join(temp.dir, '.pipewright', 'history.sqlite'));
    db.prepare('UPDATE runs SET started_at = started_at - ?, finished_at = finished_at - ? WHERE id = ?').run(3 * DAY, 3 * DAY, old);
    db.close();
    const shown = await runCli(['prune', '--dry-run', '--json', '--project', temp.dir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout), { isDryRun: true, runs: 1, logs: oldLines, outputs: [], outputBytes: 0 });
    const listed = await runCli(['history', old, '--json', '--project', temp.dir]);
    assert.equal(listed.code, 0, 'the run is still there');
  });
});
