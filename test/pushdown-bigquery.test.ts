import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';
import { blockError, runPipeline } from './helpers/postgres.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { tableFromIPC } from 'apache-arrow';
import { openProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import type { DryRunReport } from '../main/dry-run/plan-exports.ts';

// SQL blocks with engine: bigquery run as query jobs in the BigQuery emulator, through the official client (issue #15, part 2).

let bq: BigQueryFixture;
before(async () => {
  bq = await startBigQueryFixture();
  await bq.bigquery.dataset('ny_taxi').create();
  const csv = path.join(bq.dataDir, 'trips.csv');
  const lines = Array.from({ length: 300 }, (_, i) => `2021-01-0${(i % 3) + 1},${(i % 5) + 1},${(i % 7) + 0.5}`);
  writeFileSync(csv, `day,zone,fare\n${lines.join('\n')}\n`);
  await bq.bigquery
    .dataset('ny_taxi')
    .table('trips')
    .load(csv, {
      sourceFormat: 'CSV',
      skipLeadingRows: 1,
      schema: {
        fields: [
          { name: 'day', type: 'DATE' },
          { name: 'zone', type: 'INT64' },
          { name: 'fare', type: 'FLOAT64' },
        ],
      },
    });
});
after(async () => {
  await bq.close();
});

const DAILY_SQL = `-- trips and revenue per day, computed in BigQuery
select day, count(*) as trips, sum(fare) as revenue
from trips
group by day
`;

function bigQueryProject(settings: Record<string, unknown> = {}): TempProject {
  const project = createTempProject({ default_connections: { bigquery: 'bq' }, ...settings });
  project.writeFile(
    'connections.yaml',
    stringify({ bq: { type: 'bigquery', endpoint: bq.endpoint, project_id: 'test-project', credentials: 'none' } }),
  );
  return project;
}

function writePipeline(
  project: TempProject,
  opts: { dailySql?: string; dailyConfig?: Record<string, unknown>; tests?: unknown[] } = {},
): void {
  project.writeFile('blocks/daily.sql', opts.dailySql ?? DAILY_SQL);
  project.writePipeline('p', {
    engine: 'bigquery',
    blocks: [
      { id: 'trips', type: 'source', kind: 'table', config: { table: 'test-project.ny_taxi.trips' } },
      {
        id: 'daily',
        type: 'transform',
        kind: 'sql',
        file: 'blocks/daily.sql',
        upstream: ['trips'],
        config: opts.dailyConfig ?? {},
        tests: opts.tests ?? [],
      },
    ],
  });
}

async function publishedTrips(): Promise<number | undefined> {
  const [exists] = await bq.bigquery.dataset('p').table('daily').exists();
  if (!exists) return undefined;
  const [rows] = await bq.bigquery.query('SELECT sum(trips) AS n FROM `test-project.p.daily`');
  return Number((rows as { n: number }[])[0]?.n);
}

test('a BigQuery block runs as a labelled query job with a deterministic id, publishes its table and records bytes', async () => {
  const project = bigQueryProject();
  try {
    writePipeline(project, {
      dailyConfig: { partition_by: 'day', cluster_by: ['trips'] },
      tests: [{ name: 'three_days', sql: 'select 1 from (select count(*) as n from daily) where n != 3' }],
    });
    const { result, events } = await runPipeline(project.dir);
    assert.equal(result.status, 'succeeded', blockError(result, 'daily') ?? blockError(result, 'trips'));
    assert.equal(result.blocks.find((b) => b.id === 'daily')?.rows, 3);
    assert.equal(await publishedTrips(), 300);
    const [table] = await bq.bigquery.dataset('p').table('daily').getMetadata();
    assert.deepEqual(
      [table.timePartitioning?.field, table.clustering?.fields],
      ['day', ['trips']],
      'the published table keeps the partitioning',
    );
    const jobId = `pw_p_daily_${result.runId}_1`;
    const [job] = await bq.bigquery.job(jobId).get();
    assert.deepEqual((job.metadata as { configuration: { labels: Record<string, string> } }).configuration.labels, {
      pipeline: 'p',
      block: 'daily',
      run: result.runId.toLowerCase(),
    });
    const logs = events.flatMap((e) => (e.type === 'log.written' && e.blockId === 'daily' ? [e.message] : []));
    assert.ok(
      logs.some((m) => /^dry run: \d/.test(m)),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((m) => m.startsWith(`job ${jobId}: built bigquery table`)),
      logs.join('\n'),
    );
    // Rows in, as local blocks log them: the upstream table's numRows (tables.get).
    assert.ok(logs.includes('300 rows in, 3 rows out'), logs.join('\n'));
    const succeeded = events.find((e) => e.type === 'block.succeeded' && e.blockId === 'daily');
    assert.equal(succeeded?.type === 'block.succeeded' ? succeeded.rowsIn : undefined, 300);
    const [tables] = await bq.bigquery.dataset('p').getTables();
    assert.deepEqual(
      tables.map((t) => t.id).filter((id) => id?.startsWith('_pw_run_')),
      [],
      'no run-scoped table is left',
    );
  } finally {
    project.cleanup();
  }
});

test('a block whose dry run exceeds maximum_bytes_billed is refused before it runs, with the estimate', async () => {
  const project = bigQueryProject();
  try {
    writePipeline(project);
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writePipeline(project, {
      dailySql: 'select day, count(*) * 2 as trips from trips group by day\n',
      dailyConfig: { maximum_bytes_billed: 10 },
    });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.blocks.find((b) => b.id === 'daily')?.status, 'failed');
    assert.match(
      blockError(result, 'daily') ?? '',
      /the dry run estimates [\d.]+ [KMG]?B processed, over maximum_bytes_billed 10 B: not run/,
    );
    await assert.rejects(bq.bigquery.job(`pw_p_daily_${result.runId}_1`).get(), 'no query job was started');
    assert.equal(await publishedTrips(), 300, 'the published table is unchanged');
  } finally {
    project.cleanup();
  }
});

test("a dry run shows a BigQuery block's table, its query and the dry-run bytes, and runs nothing (issue #17 part 4)", async () => {
  const project = bigQueryProject();
  try {
    writePipeline(project, { dailyConfig: { maximum_bytes_billed: 10 } });
    const open = await openProject(project.dir, { kinds: createDefaultRegistry() });
    const handlers = createApiHandlers(open, () => undefined);
    try {
      const [jobsBefore] = await bq.bigquery.getJobs({ allUsers: true });
      const reply = await dispatch(handlers, 'pipelines.dryRun', { pipelineId: 'p', variables: {} });
      const [jobsAfter] = await bq.bigquery.getJobs({ allUsers: true });
      assert.equal(jobsAfter.length, jobsBefore.length, 'the dry run started no job (BigQuery keeps no dry-run jobs)');
      assert.ok(reply.ok, JSON.stringify(reply));
      const report = reply.result as DryRunReport;
      const daily = report.exports.find((e) => e.blockId === 'daily');
      assert.ok(daily && !('error' in daily), `the pushed-down block is planned: ${JSON.stringify(daily)}`);
      assert.equal(daily.kind, 'transform/sql (bigquery)');
      assert.match(daily.destination, /^bigquery `?test-project\.p\.daily`?$|^bigquery .*\bp\b.*\bdaily\b/);
      assert.match(daily.ddl[0] ?? '', /ny_taxi.*trips/, 'block names are compiled to the warehouse table');
      const bytes = Number((daily.job as { dryRunBytes?: number } | undefined)?.dryRunBytes);
      assert.ok(bytes > 0, `the dry run's bytes are reported: ${bytes}`);
      assert.ok(
        daily.notes.some((n) => /^dry run: [\d.]+ [KMG]?B to process$/.test(n)),
        daily.notes.join(' | '),
      );
      assert.ok(
        daily.notes.some((n) => /refused: over maximum_bytes_billed 10 B/.test(n)),
        daily.notes.join(' | '),
      );
    } finally {
      await open.close();
    }
  } finally {
    project.cleanup();
  }
});

test("BigQuery's error about the SQL is reported at its line in the block's file, and a failed block publishes nothing", async () => {
  const project = bigQueryProject();
  try {
    writePipeline(project);
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writePipeline(project, { dailySql: 'select day,\n  count(*) as trips,\n  sum(no_such_column) as revenue\nfrom trips\ngroup by day\n' });
    const { result } = await runPipeline(project.dir);
    const daily = result.blocks.find((b) => b.id === 'daily');
    assert.equal(daily?.status, 'failed');
    assert.equal(daily?.error?.kind, 'user');
    assert.match(daily?.error?.message ?? '', /no_such_column/);
    assert.equal(daily?.error?.place?.file, 'blocks/daily.sql');
    assert.equal(daily?.error?.place?.line, 3);
    assert.equal(await publishedTrips(), 300);
  } finally {
    project.cleanup();
  }
});

test('previews of a BigQuery block page through tabledata.list; sorted windows and profiles are queries in BigQuery', async () => {
  const project = bigQueryProject();
  try {
    writePipeline(project, { dailySql: 'select day, zone, count(*) as trips from trips group by day, zone\n' });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    const open = await openProject(project.dir, { kinds: createDefaultRegistry() });
    const handlers = createApiHandlers(open, () => undefined);
    try {
      await bq.resetFaults();
      const page = await dispatch(handlers, 'outputs.preview', { pipelineId: 'p', blockId: 'daily', window: { offset: 10, limit: 4 } });
      assert.ok(page.ok, JSON.stringify(page));
      const paged = page.result as { totalRows: number; ipc: Uint8Array };
      assert.equal(paged.totalRows, 15);
      assert.equal(tableFromIPC(paged.ipc).numRows, 4);
      const counts = await bq.counts();
      assert.ok((counts.requests['tabledata.list'] ?? 0) >= 1, JSON.stringify(counts.requests));
      assert.equal(counts.requests['jobs.insert'] ?? 0, 0, 'an unsorted window runs no query');
      const sorted = await dispatch(handlers, 'outputs.preview', {
        pipelineId: 'p',
        blockId: 'daily',
        window: { offset: 0, limit: 3, orderBy: [{ column: 'zone', descending: true }, { column: 'day' }], filter: 'zone > 2' },
      });
      assert.ok(sorted.ok, JSON.stringify(sorted));
      const rows = tableFromIPC((sorted.result as { ipc: Uint8Array }).ipc)
        .toArray()
        .map((r) => (r.toJSON() as { zone: number }).zone);
      assert.deepEqual(rows, [5, 5, 5]);
      assert.equal((sorted.result as { totalRows: number }).totalRows, 9);
      const profile = await dispatch(handlers, 'outputs.profile', { pipelineId: 'p', blockId: 'daily' });
      assert.ok(profile.ok, JSON.stringify(profile));
      const zone = (profile.result as { columns: { name: string; min: string; max: string }[] }).columns.find((c) => c.name === 'zone');
      assert.deepEqual([zone?.min, zone?.max], ['1', '5']);
    } finally {
      await open.close();
    }
  } finally {
    project.cleanup();
  }
});

test('cancelling a run cancels the BigQuery job; the published table is unchanged and no run table is left', async () => {
  const project = bigQueryProject();
  try {
    writePipeline(project);
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    // A cross join large enough to run for a while in the emulator's DuckDB.
    writePipeline(project, { dailySql: 'select a.day, count(*) as trips from trips a, trips b, trips c, trips d group by a.day\n' });
    const runId = `r_cancel_${Date.now()}`;
    const controller = new AbortController();
    const running = runPipeline(project.dir, { signal: controller.signal, runId });
    const job = bq.bigquery.job(`pw_p_daily_${runId}_1`);
    await waitUntil(
      async () => {
        const [found] = await job.exists();
        return found && (await job.getMetadata())[0].status?.state === 'RUNNING';
      },
      { what: 'the query job to run', timeoutMs: 30_000, intervalMs: 50 },
    );
    controller.abort();
    const { result } = await running;
    assert.equal(result.blocks.find((b) => b.id === 'daily')?.status, 'cancelled');
    await waitUntil(async () => (await job.getMetadata())[0].status?.state === 'DONE', {
      what: 'the cancelled job to end',
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    assert.equal((await job.getMetadata())[0].status?.errorResult?.reason, 'stopped');
    assert.equal(await publishedTrips(), 300);
    const [tables] = await bq.bigquery.dataset('p').getTables();
    assert.deepEqual(
      tables.map((t) => t.id).filter((id) => id?.startsWith('_pw_run_')),
      [],
    );
  } finally {
    project.cleanup();
  }
});

test('a build whose reply is lost is retried with the same job id and followed, never run twice', async () => {
  const { BigQueryWarehouse } = await import('../main/pushdown/bigquery-warehouse.ts');
  const warehouse = await BigQueryWarehouse.open(
    { endpoint: bq.endpoint, project_id: 'test-project', credentials: 'none', retry: { max_delay_seconds: 1 } },
    bq.dataDir,
    {},
  );
  try {
    await bq.resetFaults();
    await bq.fault({ operation: 'jobs.insert', times: 1, action: { resetAfterCommit: true } });
    const target = { namespace: 'retries', table: 'built_once' };
    const jobId = `pw_retry_${Date.now()}`;
    const stats = await warehouse.build(target, 'select day, count(*) as n from `test-project.ny_taxi.trips` group by day', { jobId });
    assert.equal(stats.rows, 3);
    const counts = await bq.counts();
    assert.equal(counts.fired['jobs.insert'], 1, 'the first insert committed and lost its reply');
    assert.ok((counts.requests['jobs.insert'] ?? 0) >= 2, 'the insert was sent again');
    const [rows] = await bq.bigquery.query('SELECT count(*) AS n FROM `test-project.retries.built_once`');
    assert.equal(Number((rows as { n: number }[])[0]?.n), 3, 'one job wrote the table once');
  } finally {
    await warehouse.close();
  }
});
