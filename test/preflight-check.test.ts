/**
 * `pipewright check` and `pipelines.check`: each GCS and BigQuery problem of a real project is found before any
 * data moves, against the emulators' project modes, and the check writes nothing.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { loadProject } from '../main/project/load-project.ts';
import { loadPipeline } from '../main/project/load-pipeline.ts';
import { checkPipeline } from '../main/preflight/check-pipeline.ts';
import type { PreflightReport } from '../main/preflight/check-types.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';
import { runCli } from './helpers/run-cli.ts';
import { createPgProject, startTestPostgres } from './helpers/postgres.ts';

/** A source whose output is any SELECT (no code file), to give a postgres export a known upstream. */
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { querySource } from './helpers/test-kinds.ts';

let gcs: GcsFixture;
let bq: BigQueryFixture;
let temp: TempProject;

before(async () => {
  gcs = await startGcsFixture();
  bq = await startBigQueryFixture({ gcsDataDir: gcs.root });
  temp = createTempProject({ default_connections: { gcs: 'lake', bigquery: 'warehouse' } });
  temp.writeFile(
    'connections.yaml',
    stringify({
      lake: { type: 'gcs', endpoint: gcs.emulator.url, project_id: 'test-project', credentials: 'none' },
      warehouse: { type: 'bigquery', endpoint: bq.endpoint, project_id: 'test-project', credentials: 'none' },
    }),
  );
  temp.writeFile('blocks/trips.sql', 'SELECT 1 AS id, 2 AS n');
  temp.writePipeline('taxi', {
    variables: { bucket: 'test-project-taxi', dataset: 'taxi' },
    blocks: [
      { id: 'trips', type: 'source', kind: 'sql', file: 'blocks/trips.sql' },
      {
        id: 'to_gcs',
        type: 'export',
        kind: 'gcs',
        upstream: ['trips'],
        config: { bucket: '{{ bucket }}', create_bucket: true, path: 'trips', partition_by: ['id'] },
      },
      {
        id: 'to_bq',
        type: 'export',
        kind: 'bigquery',
        upstream: ['to_gcs'],
        config: { dataset: '{{ dataset }}', table: 'trips', source: { from_gcs_block: 'to_gcs' } },
      },
    ],
  });
});
after(async () => {
  temp.cleanup();
  await bq.close();
  await gcs.close();
});
beforeEach(async () => {
  await fetch(`${gcs.emulator.url}/_emulator/modes`, { method: 'DELETE' });
  await fetch(`${bq.endpoint}/_emulator/modes`, { method: 'DELETE' });
});

async function check(variables: Record<string, string> = {}): Promise<PreflightReport> {
  const project = await loadProject(temp.dir);
  const kinds = createDefaultRegistry();
  return checkPipeline({ project, kinds, loadPipeline: (id) => loadPipeline(project, id, kinds) }, 'taxi', { variables });
}

function item(report: PreflightReport, blockId: string, name: string) {
  return report.blocks.find((b) => b.blockId === blockId)?.items.find((i) => i.name === name);
}

describe('pipewright check', () => {
  test('a fresh project passes, and the check creates nothing', async () => {
    const report = await check();
    assert.equal(report.isOk, true, JSON.stringify(report));
    assert.match(item(report, 'to_gcs', 'bucket')?.detail ?? '', /does not exist yet; the run creates it/);
    assert.match(item(report, 'to_bq', 'dataset')?.detail ?? '', /does not exist yet; the run creates it/);
    assert.equal(item(report, 'to_bq', 'permissions')?.status, 'ok');
    assert.equal((await gcs.storage.bucket('test-project-taxi').exists())[0], false);
    assert.equal((await bq.bigquery.dataset('taxi').exists())[0], false);
  });

  test('a bucket name owned by another project fails the check, naming the bucket', async () => {
    await fetch(`${gcs.emulator.url}/_emulator/modes`, { method: 'POST', body: JSON.stringify({ foreignBuckets: ['test-project-taxi'] }) });
    const report = await check();
    assert.equal(report.isOk, false);
    assert.match(
      item(report, 'to_gcs', 'bucket')?.detail ?? '',
      /bucket test-project-taxi answered 403: the name may belong to another project/,
    );
  });

  test('a missing object permission on an existing bucket is found by testIamPermissions', async () => {
    await gcs.storage.createBucket('perm-bucket');
    await fetch(`${gcs.emulator.url}/_emulator/modes`, {
      method: 'POST',
      body: JSON.stringify({ deniedPermissions: ['storage.objects.delete'] }),
    });
    const report = await check({ bucket: 'perm-bucket' });
    assert.match(item(report, 'to_gcs', 'permissions')?.detail ?? '', /lacks storage\.objects\.delete on bucket perm-bucket/);
  });

  test('a dataset in another location than the bucket fails with both locations', async () => {
    await gcs.storage.createBucket('us-taxi', { location: 'US' });
    await bq.bigquery.createDataset('eu_taxi', { location: 'EU' });
    const report = await check({ bucket: 'us-taxi', dataset: 'eu_taxi' });
    assert.match(item(report, 'to_bq', 'bucket location')?.detail ?? '', /bucket us-taxi is in US and dataset eu_taxi in EU/);
  });

  test('a principal without bigquery.jobs.create fails the permissions check (a dry run)', async () => {
    await fetch(`${bq.endpoint}/_emulator/modes`, {
      method: 'POST',
      body: JSON.stringify({ deniedPermissions: ['bigquery.jobs.create'] }),
    });
    const report = await check();
    assert.match(item(report, 'to_bq', 'permissions')?.detail ?? '', /lacks bigquery\.jobs\.create/);
  });

  test('the CLI prints the checklist as JSON and exits 1 when a check fails', async () => {
    await fetch(`${bq.endpoint}/_emulator/modes`, { method: 'POST', body: JSON.stringify({ apiDisabled: true }) });
    const result = await runCli(['check', 'taxi', '--json', '--project', temp.dir]);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as PreflightReport;
    assert.match(item(report, 'to_bq', 'dataset')?.detail ?? '', /BigQuery API is disabled in project test-project/);
    await fetch(`${bq.endpoint}/_emulator/modes`, { method: 'DELETE' });
    const passing = await runCli(['check', 'taxi', '--project', temp.dir]);
    assert.equal(passing.code, 0, passing.stdout + passing.stderr);
    assert.match(passing.stdout, /taxi: ready/);
  });

  test('a run with preflight on stops before any write when the check fails', async () => {
    await fetch(`${gcs.emulator.url}/_emulator/modes`, { method: 'POST', body: JSON.stringify({ foreignBuckets: ['test-project-taxi'] }) });
    const open = await openProject(temp.dir, { preflight: 'every' });
    try {
      await assert.rejects(
        open.run({
          pipeline: await open.loadPipeline('taxi'),
          scope: { kind: 'pipeline' },
          variables: {},
          trigger: { kind: 'cli', by: 'test' },
        }),
        /pipewright check taxi found problems, so nothing ran:\n {2}to_gcs: bucket: /,
      );
      assert.equal(open.store.listRuns({ limit: 10, offset: 0 }).length, 0);
    } finally {
      await open.close();
    }
  });
});

describe('pipewright check on Postgres', () => {
  test('an append whose upstream has a column the table lacks fails, naming the column and the setting', async () => {
    const pgServer = await startTestPostgres();
    const project = createPgProject(pgServer);
    try {
      await pgServer.query('CREATE TABLE public.trips (id integer)');
      project.writePipeline('p', {
        blocks: [
          { id: 'src', type: 'source', kind: 'test_query', config: { sql: 'SELECT 1 AS id, 2 AS extra' } },
          { id: 'to_pg', type: 'export', kind: 'postgres', upstream: ['src'], config: { table: 'trips', mode: 'append' } },
        ],
      });
      const open = await openProject(project.dir, { kinds: createDefaultRegistry().register(querySource) });
      try {
        const first = await checkPipeline(open, 'p');
        assert.match(first.blocks[0]?.items.find((i) => i.name === 'table columns')?.detail ?? '', /src has no output yet/);
        await open.run({
          pipeline: await open.loadPipeline('p'),
          scope: { kind: 'block', block: 'src' },
          variables: {},
          trigger: { kind: 'cli', by: 'test' },
        });
        const report = await checkPipeline(open, 'p');
        assert.equal(report.isOk, false);
        assert.equal(report.blocks[0]?.items.find((i) => i.name === 'permissions')?.status, 'ok');
        assert.match(
          report.blocks[0]?.items.find((i) => i.name === 'table columns')?.detail ?? '',
          /public\.trips lacks extra: add them, or set on_schema_change: add_columns/,
        );
      } finally {
        await open.close();
      }
    } finally {
      project.cleanup();
      await pgServer.stop();
    }
  });
});
