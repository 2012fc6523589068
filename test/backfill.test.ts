import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planBackfill } from '../main/orchestration/backfill-plan.ts';
import { failedIntervals, runBackfill } from '../main/orchestration/run-backfill.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { UserError } from '../main/model/errors.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { runCli } from './helpers/run-cli.ts';

const labels = (from: string, to: string, every: 'day' | 'week' | 'month') => planBackfill(from, to, every).map((i) => i.label);

test('backfill intervals include the end date and keep month ends', () => {
  assert.deepEqual(labels('2021-01-01', '2021-01-08', 'day').length, 8, 'an 8-day window is 8 runs (end inclusive)');
  assert.deepEqual(labels('2021-01-31', '2021-05-01', 'month'), ['2021-01-31', '2021-02-28', '2021-03-31', '2021-04-30']);
  assert.deepEqual(labels('2020-01-31', '2020-03-01', 'month'), ['2020-01-31', '2020-02-29'], 'leap year');
  assert.deepEqual(labels('2021-01-04', '2021-01-25', 'week'), ['2021-01-04', '2021-01-11', '2021-01-18', '2021-01-25']);
  const [first] = planBackfill('2021-01-31', '2021-01-31', 'month');
  assert.equal(first?.end.toISOString().slice(0, 10), '2021-02-28', 'interval end is the next start (exclusive)');
  assert.deepEqual(labels('2021-03-01', '2021-03-01', 'day'), ['2021-03-01']);
});

test('a reversed range, a bad date and a huge range are refused with the reason', () => {
  assert.throws(
    () => planBackfill('2021-02-01', '2021-01-01', 'day'),
    (e: unknown) => e instanceof UserError && /reversed/.test(e.message),
  );
  assert.throws(() => planBackfill('2021-02-30', '2021-03-01', 'day'), /--from 2021-02-30 is not a date/);
  assert.throws(() => planBackfill('1990-01-01', '2030-01-01', 'day'), /more than 10000 runs/);
});

test('a backfill runs one run per interval with its dates, in parallel, and retries only failed intervals', async () => {
  const temp = createTempProject();
  temp.writePipeline('daily', {
    variables: { fail_on: '' },
    blocks: [
      { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 150 } },
      { id: 'stamp', type: 'transform', kind: 'sql', file: 'blocks/stamp.sql', upstream: ['src'] },
    ],
  });
  // The block fails (division by zero is an error in a CAST) only on the day named by fail_on.
  temp.writeFile(
    'blocks/stamp.sql',
    "select '{{ interval_start }}' as day, '{{ interval_end }}' as day_end, cast(case when '{{ ds }}' = '{{ fail_on }}' then 'x' else '1' end as integer) as ok from src",
  );
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const pipeline = await open.loadPipeline('daily');
    const intervals = planBackfill('2021-01-01', '2021-01-04', 'day');
    const result = await runBackfill({
      open,
      pipeline,
      intervals,
      backfillId: 'bf_test',
      concurrency: 2,
      variables: { fail_on: '2021-01-03' },
    });
    assert.deepEqual(
      result.runs.map((r) => [r.interval, r.status]),
      [
        ['2021-01-01', 'succeeded'],
        ['2021-01-02', 'succeeded'],
        ['2021-01-03', 'failed'],
        ['2021-01-04', 'succeeded'],
      ],
    );
    const detail = open.store.getRun(result.runs[1]?.runId ?? '');
    assert.equal(detail?.trigger.kind, 'backfill');
    assert.equal(detail?.variables.interval_start, '2021-01-02');
    assert.equal(detail?.variables.interval_end, '2021-01-03');
    assert.equal(String(detail?.variables.execution_date).slice(0, 10), '2021-01-02');
    assert.deepEqual(failedIntervals(open, 'daily', 'bf_test'), ['2021-01-03']);

    const retry = await runBackfill({
      open,
      pipeline,
      intervals: intervals.filter((i) => i.label === '2021-01-03'),
      backfillId: 'bf_test',
      concurrency: 2,
    });
    assert.deepEqual(
      retry.runs.map((r) => r.status),
      ['succeeded'],
    );
    assert.deepEqual(failedIntervals(open, 'daily', 'bf_test'), []);
    const [a, b] = result.runs.slice(0, 2).map((r) => (r.runId ? open.store.getRun(r.runId) : undefined));
    assert.ok(
      a && b && a.startedAt < (b.finishedAt ?? 0) && b.startedAt < (a.finishedAt ?? 0),
      'two intervals ran at once (concurrency 2)',
    );
  } finally {
    await open.close();
    temp.cleanup();
  }
});

test('backfill --dry-run lists the runs it would create and starts none', async () => {
  const temp = createTempProject();
  temp.writePipeline('p', { blocks: [{ id: 'src', type: 'source', kind: 'local_file', config: { path: 'nothing.csv' } }] });
  try {
    const dry = await runCli([
      'backfill',
      'p',
      '--project',
      temp.dir,
      '--from',
      '2021-01-30',
      '--to',
      '2021-02-02',
      '--every',
      'day',
      '--dry-run',
      '--json',
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout) as { runs: { interval_start: string }[] };
    assert.deepEqual(
      plan.runs.map((r) => r.interval_start),
      ['2021-01-30', '2021-01-31', '2021-02-01', '2021-02-02'],
    );
    const history = JSON.parse((await runCli(['history', '--project', temp.dir, '--json'])).stdout) as { runs: unknown[] };
    assert.equal(history.runs.length, 0);
    const reversed = await runCli(['backfill', 'p', '--project', temp.dir, '--from', '2021-02-02', '--to', '2021-01-30']);
    assert.equal(reversed.code, 2);
    assert.match(reversed.stderr, /reversed/);
  } finally {
    temp.cleanup();
  }
});

test('a pipeline limited to one run at a time with on_limit: skip skips intervals instead of ending the backfill', async () => {
  const temp = createTempProject();
  temp.writePipeline('limited', {
    max_concurrent_runs: 1,
    on_limit: 'skip',
    blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 300 } }],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const pipeline = await open.loadPipeline('limited');
    const result = await runBackfill({
      open,
      pipeline,
      intervals: planBackfill('2021-01-01', '2021-01-02', 'day'),
      backfillId: 'bf_limit',
      concurrency: 2,
    });
    const statuses = result.runs.map((r) => r.status).sort();
    assert.deepEqual(statuses, ['skipped', 'succeeded'], 'one interval ran, the other was refused by the run limit');
    assert.equal(result.runs.find((r) => r.status === 'skipped')?.runId, null);
  } finally {
    await open.close();
    temp.cleanup();
  }
});
