import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlockKind } from '../main/model/block-kind.ts';
import { OperationalError } from '../main/model/errors.ts';
import { bigqueryExport } from '../main/blocks/bigquery-export.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';
import { querySource } from './helpers/test-kinds.ts';

const ROWS = 2000;
/** One client retry, so polling fails "past the client's retries" after two failed jobs.get. */
const CLIENT_RETRY = { max_retries: 1, max_delay_seconds: 1 };
const FAILS_PER_POLL = CLIENT_RETRY.max_retries + 1;

let harness: BlockHarness;
let bq: BigQueryFixture;

before(async () => {
  harness = await createBlockHarness();
  bq = await startBigQueryFixture();
  await harness.run(querySource, { id: 'trips', config: { sql: `SELECT range AS id, 'trip ' || range AS label FROM range(${ROWS})` } });
});
after(async () => {
  await bq.close();
  await harness.close();
});
beforeEach(async () => {
  await bq.resetFaults();
});

/** One attempt of the export as run `runId` of logical run `originRunId` (a resume's first run). */
function attempt(table: string, ids: { runId: string; originRunId: string }, config: Record<string, unknown> = {}) {
  const kind: BlockKind<unknown> = {
    ...bigqueryExport,
    run: (ctx, c) => bigqueryExport.run({ ...ctx, ...ids }, c as never),
  } as BlockKind<unknown>;
  const settings = {
    endpoint: bq.endpoint,
    project_id: 'test-project',
    dataset: 'once',
    table,
    write_disposition: 'append',
    retry: CLIENT_RETRY,
    poll_interval_ms: 50,
  };
  return harness.attempt(kind, { id: 'to_bq', upstream: ['trips'], config: { ...settings, ...config } });
}

async function count(table: string): Promise<number> {
  const [rows] = await bq.bigquery.query(`SELECT count(*) AS n FROM \`test-project.once.${table}\``);
  return Number(rows[0].n);
}

describe('export/bigquery loads each logical load once', () => {
  test('polling that fails past the client retries: attempts 2 and 3 follow the first job instead of loading again', async () => {
    const ids = { runId: 'run-poll', originRunId: 'run-poll' };
    // Polls of the started job fail in attempts 1 and 2; a lookup of a job id not used yet still answers 404.
    await bq.fault({ operation: 'jobs.get', times: 2 * FAILS_PER_POLL, action: { status: 503 }, existingJobsOnly: true });
    const first = await attempt('polled', ids);
    assert.ok(first.error instanceof OperationalError, `attempt 1 fails on polling: ${String(first.error)}`);
    const second = await attempt('polled', ids);
    assert.ok(second.error instanceof OperationalError, 'attempt 2 cannot tell whether the job ran, so starts none');
    const third = await attempt('polled', ids);
    assert.equal(third.error, undefined);
    assert.ok(
      third.logs.some((l) => /already succeeded: not loading again/.test(l.message)),
      'attempt 3 follows the first job',
    );
    assert.equal(third.outcome?.rowsOut, ROWS);
    const counts = await bq.counts();
    assert.equal(counts.requests['jobs.upload'], 1, 'one load job was started');
    assert.equal(counts.pending, 0);
    assert.equal(await count('polled'), ROWS);
  });

  test('a new run appends again; a resume of the earlier run, even after that newer run, follows its own job', async () => {
    const loaded = await attempt('resumed', { runId: 'run-killed', originRunId: 'run-killed' });
    assert.equal(loaded.error, undefined);
    const fresh = await attempt('resumed', { runId: 'run-next', originRunId: 'run-next' });
    assert.equal(fresh.error, undefined);
    assert.equal(await count('resumed'), 2 * ROWS, 'a new run is a new load');
    // run-killed's process died before recording its success: the resume is a new run finishing run-killed.
    const resumed = await attempt('resumed', { runId: 'run-resume', originRunId: 'run-killed' });
    assert.equal(resumed.error, undefined);
    assert.ok(resumed.logs.some((l) => /started earlier for this same load \(run run-killed\), already succeeded/.test(l.message)));
    assert.equal(await count('resumed'), 2 * ROWS, 'the resume loaded nothing');
    assert.equal((await bq.counts()).requests['jobs.upload'], 2);
  });

  test('a job that failed is passed over: the next attempt starts the next try and loads once', async () => {
    const ids = { runId: 'run-failed-job', originRunId: 'run-failed-job' };
    await bq.fault({
      operation: 'jobs.upload',
      times: 1,
      action: { failJob: { reason: 'backendError', message: 'Error encountered during execution. Retrying may solve the problem.' } },
    });
    const first = await attempt('retried', ids);
    assert.match(String(first.error), /_t1 failed: backendError/);
    const second = await attempt('retried', ids);
    assert.equal(second.error, undefined);
    assert.ok(second.logs.some((l) => /earlier load job \S+_t1 of this load failed \(backendError/.test(l.message)));
    assert.ok(second.logs.some((l) => /BigQuery job \S+_t2$/.test(l.message)));
    assert.equal(await count('retried'), ROWS);
  });
});
