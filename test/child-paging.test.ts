import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RunStore, type ChildPage } from '../main/history/run-store.ts';
import { CHILD_INDEX_STEP, versionBefore } from '../main/history/migrations.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import type { RunDetail } from '../main/history/run-queries.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { recordFanOutRun } from './helpers/fan-out-history.ts';
import { sqlBlock, withPipeline } from './helpers/run-project.ts';
import { runCli } from './helpers/run-cli.ts';

const CHILDREN = 5_000;
/** Every 13th child fails, every 7th (not failing) is still running: three statuses, unevenly spread. */
const statusOf = (i: number) => (i % 13 === 5 ? 'failed' : i % 7 === 3 ? 'running' : 'succeeded');
const expected = Array.from({ length: CHILDREN }, (_, i) => statusOf(i));
const indexesWith = (status: string) => expected.flatMap((s, i) => (s === status ? [i] : []));

function withStore(body: (store: RunStore, file: string) => void): void {
  const temp = createTempProject();
  const file = path.join(temp.dir, '.pipewright', 'history.sqlite');
  const store = RunStore.open(file);
  try {
    body(store, file);
  } finally {
    store.close();
    temp.cleanup();
  }
}

test('a run overview counts a fan-out by status on its parent and leaves the children out', () => {
  withStore((store) => {
    recordFanOutRun(store, {
      runId: 'r1',
      pipelineId: 'p',
      blocks: ['src', 'each', 'after'],
      parent: 'each',
      children: CHILDREN,
      statusOf,
      isLive: true,
    });
    const overview = store.getRunOverview('r1');
    assert.deepEqual(
      overview?.blocks.map((b) => b.blockId),
      ['src', 'each', 'after'],
    );
    const each = overview?.blocks.find((b) => b.blockId === 'each');
    assert.deepEqual(each?.children, {
      total: CHILDREN,
      byStatus: {
        failed: indexesWith('failed').length,
        running: indexesWith('running').length,
        succeeded: indexesWith('succeeded').length,
      },
    });
    assert.equal(overview?.blocks.find((b) => b.blockId === 'src')?.children, undefined, 'a block without children has no counts');
    assert.equal(store.getRun('r1')?.blocks.length, 3 + CHILDREN, 'the full record still holds every child');
  });
});

test('children page in index order forward, backward and from an index, whatever order they were added in', () => {
  withStore((store) => {
    recordFanOutRun(store, { runId: 'r1', pipelineId: 'p', blocks: ['each'], parent: 'each', children: CHILDREN, statusOf, isLive: true });
    // Walk every page forward: each index once, in order (index 10 sorts after 9, not after 1).
    const seen: number[] = [];
    let page: ChildPage = store.listChildren('r1', 'each', { limit: 400 });
    assert.equal(page.hasBefore, false);
    for (;;) {
      seen.push(...page.children.map((c) => c.index));
      if (!page.hasAfter) break;
      page = store.listChildren('r1', 'each', { afterIndex: page.children.at(-1)?.index ?? -1, limit: 400 });
    }
    assert.deepEqual(
      seen,
      expected.map((_, i) => i),
    );
    const last = store.listChildren('r1', 'each', { beforeIndex: Number.MAX_SAFE_INTEGER, limit: 30 });
    assert.deepEqual(
      last.children.map((c) => c.index),
      Array.from({ length: 30 }, (_, k) => CHILDREN - 30 + k),
    );
    assert.deepEqual([last.hasBefore, last.hasAfter], [true, false]);
    const jump = store.listChildren('r1', 'each', { fromIndex: 2_345, limit: 3 });
    assert.deepEqual(
      jump.children.map((c) => [c.blockId, c.status]),
      [2_345, 2_346, 2_347].map((i) => [`each[${i}]`, statusOf(i)]),
    );
    assert.deepEqual([jump.hasBefore, jump.hasAfter, jump.total], [true, true, CHILDREN]);
    const past = store.listChildren('r1', 'each', { fromIndex: CHILDREN + 10 });
    assert.deepEqual([past.children.length, past.hasBefore, past.hasAfter], [0, true, false]);
  });
});

test('a status filter pages only the failed children, with their errors and their logs reachable', () => {
  withStore((store) => {
    recordFanOutRun(store, { runId: 'r1', pipelineId: 'p', blocks: ['each'], parent: 'each', children: CHILDREN, statusOf, isLive: true });
    const failed = indexesWith('failed');
    const first = store.listChildren('r1', 'each', { statuses: ['failed'], limit: 50 });
    assert.equal(first.total, failed.length);
    assert.deepEqual(
      first.children.map((c) => c.index),
      failed.slice(0, 50),
    );
    assert.match(first.children[0]?.error?.message ?? '', /child 5 failed/);
    const jumped = store.listChildren('r1', 'each', { statuses: ['failed'], fromIndex: 3_000, limit: 5 });
    assert.deepEqual(
      jumped.children.map((c) => c.index),
      failed.filter((i) => i >= 3_000).slice(0, 5),
    );
    const back = store.listChildren('r1', 'each', { statuses: ['failed'], beforeIndex: jumped.children[0]?.index ?? 0, limit: 5 });
    assert.deepEqual(
      back.children.map((c) => c.index),
      failed.filter((i) => i < 3_000).slice(-5),
    );
    const both = store.listChildren('r1', 'each', { statuses: ['failed', 'running', 'failed'], limit: 500 });
    assert.equal(both.total, failed.length + indexesWith('running').length);
    assert.ok(both.children.every((c) => c.status !== 'succeeded'));
    const child = first.children[1]?.blockId ?? '';
    assert.match(
      store
        .getLogs('r1', { blockId: child })
        .map((l) => l.message)
        .join('\n'),
      /division by zero/,
    );
  });
});

test('child counts follow status changes, the interrupted sweep and pruning', () => {
  withStore((store, file) => {
    recordFanOutRun(store, { runId: 'r1', pipelineId: 'p', blocks: ['each'], parent: 'each', children: 300, statusOf, isLive: true });
    store.record({ type: 'block.succeeded', runId: 'r1', blockId: 'each[3]', attempt: 1, durationMs: 1, at: Date.now() });
    const running = expected.slice(0, 300).filter((s) => s === 'running').length;
    assert.equal(store.getRunOverview('r1')?.blocks[0]?.children?.byStatus.running, running - 1);
    // Another process finds the run orphaned (its owner is gone): running children become interrupted.
    store.close();
    const db = new Database(file);
    db.prepare(`UPDATE runs SET owner_pid = 999999999, heartbeat_at = 0, started_at = 0`).run();
    db.close();
    const reopened = RunStore.open(file);
    try {
      const counts = reopened.getRunOverview('r1')?.blocks[0]?.children;
      assert.equal(counts?.byStatus.running, undefined);
      assert.equal(counts?.byStatus.interrupted, running - 1);
      assert.equal(counts?.total, 300);
      // The newest log line's run always stays (history-pruning.ts): a later run holds it.
      recordFanOutRun(reopened, { runId: 'r2', pipelineId: 'p', blocks: ['each'], parent: 'each', children: 1, statusOf: () => 'failed' });
      assert.equal(reopened.prune({ runsBefore: Date.now() + 60_000 }).runs, 1);
      const left = new Database(file, { readonly: true });
      const counted = left.prepare('SELECT DISTINCT run_id FROM child_counts WHERE n > 0').pluck().all();
      assert.deepEqual(counted, ['r2'], 'a pruned run leaves no counts behind');
      left.close();
    } finally {
      reopened.close();
    }
  });
});

test('a history written before children were indexed is upgraded in place, its fan-outs counted', () => {
  withStore((store, file) => {
    recordFanOutRun(store, { runId: 'r1', pipelineId: 'p', blocks: ['each'], parent: 'each', children: 1_000, statusOf });
    store.close();
    // Back to the schema before step 5, the rows kept.
    const raw = new Database(file);
    raw.exec(`DROP TRIGGER child_counts_on_insert; DROP TRIGGER child_counts_on_status; DROP TRIGGER child_counts_on_delete;
      DROP TABLE child_counts; DROP INDEX block_runs_children; DROP INDEX block_runs_top_level;
      ALTER TABLE block_runs DROP COLUMN child_index; ALTER TABLE block_runs DROP COLUMN parent_id;`);
    raw.pragma(`user_version = ${versionBefore(CHILD_INDEX_STEP)}`);
    raw.close();
    const upgraded = RunStore.open(file);
    try {
      assert.equal(upgraded.getRunOverview('r1')?.blocks[0]?.children?.total, 1_000);
      assert.equal(
        upgraded.listChildren('r1', 'each', { statuses: ['failed'] }).total,
        indexesWith('failed').filter((i) => i < 1_000).length,
      );
    } finally {
      upgraded.close();
    }
  });
});

test('through the API a real fan-out is counted by runs.get and paged by runs.children, bad params named', async () => {
  const items = 40;
  const pipeline = {
    blocks: [
      { id: 'items', type: 'transform', kind: 'sql', file: 'blocks/items.sql', upstream: ['seed'], dynamic: true },
      sqlBlock('each', ['items']),
    ],
  };
  const files = {
    'blocks/items.sql': `select i as n from range(${items}) t(i) where (select count(*) from seed) = 1`,
    // Every 9th child fails in DuckDB.
    'blocks/each.sql': "select case when {{ item.n }} % 9 = 4 then error('bad item {{ item.n }}') else {{ item.n }} end as v",
  };
  await withPipeline(
    { ...pipeline, blocks: [{ id: 'seed', type: 'source', kind: 'test_rows', config: { rows: 1 } }, ...pipeline.blocks] },
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
      const handlers = createApiHandlers(open, () => undefined);
      const got = await dispatch(handlers, 'runs.get', { runId: result.runId });
      assert.ok(got.ok, JSON.stringify(got));
      const detail = (got.result as { run: RunDetail }).run;
      assert.deepEqual(
        detail.blocks.map((b) => b.blockId),
        ['seed', 'items', 'each'],
      );
      const failing = Array.from({ length: items }, (_, n) => n).filter((n) => n % 9 === 4);
      assert.deepEqual(detail.blocks[2]?.children, {
        total: items,
        byStatus: { failed: failing.length, succeeded: items - failing.length },
      });
      const page = await dispatch(handlers, 'runs.children', { runId: result.runId, blockId: 'each', statuses: ['failed'], limit: 2 });
      assert.ok(page.ok, JSON.stringify(page));
      const children = (page.result as ChildPage).children;
      assert.deepEqual(
        children.map((c) => c.blockId),
        failing.slice(0, 2).map((n) => `each[${n}]`),
      );
      assert.match(children[0]?.error?.message ?? '', /bad item 4/);
      const bad = await dispatch(handlers, 'runs.children', { runId: result.runId, blockId: 'each', statuses: ['broken'] });
      assert.equal(bad.ok, false);
      assert.match(!bad.ok ? bad.error.message : '', /runs.children: statuses.0/);
      const tooMany = await dispatch(handlers, 'runs.children', { runId: result.runId, blockId: 'each', limit: 100_000 });
      assert.match(!tooMany.ok ? tooMany.error.message : '', /runs.children: limit/);
    },
    { files },
  );
});

test('pipewright history counts a fan-out on its parent and pages its failed children with --children --failed --from', async () => {
  const temp = createTempProject();
  try {
    const store = RunStore.open(path.join(temp.dir, '.pipewright', 'history.sqlite'));
    recordFanOutRun(store, { runId: 'r1', pipelineId: 'p', blocks: ['each'], parent: 'each', children: CHILDREN, statusOf });
    store.close();
    const failed = indexesWith('failed');
    const shown = await runCli(['history', 'r1', '--project', temp.dir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      new RegExp(
        `${CHILDREN} children: ${CHILDREN - failed.length - indexesWith('running').length} succeeded, ${failed.length} failed, ${indexesWith('running').length} running: pipewright history r1 --children each`,
      ),
    );
    assert.ok(!shown.stdout.includes('each[1] '), 'children are not listed one by one');
    const json = JSON.parse((await runCli(['history', 'r1', '--project', temp.dir, '--json'])).stdout) as { run: RunDetail };
    assert.deepEqual(
      json.run.blocks.map((b) => [b.blockId, b.children?.total]),
      [['each', CHILDREN]],
    );
    const page = await runCli(['history', 'r1', '--children', 'each', '--failed', '--from', '100', '--limit', '3', '--project', temp.dir]);
    assert.equal(page.code, 0, page.stderr);
    const shownIds = [...page.stdout.matchAll(/^ {2}(each\[\d+\])/gm)].map((m) => m[1]);
    const expectedIds = failed.filter((i) => i >= 100).slice(0, 3);
    assert.deepEqual(
      shownIds,
      expectedIds.map((i) => `each[${i}]`),
    );
    assert.match(page.stdout, new RegExp(`next: pipewright history r1 --children each --failed --from ${(expectedIds.at(-1) ?? 0) + 1}`));
    const unknown = await runCli(['history', 'r1', '--children', 'nope', '--project', temp.dir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /run r1 has no block nope/);
  } finally {
    temp.cleanup();
  }
});
