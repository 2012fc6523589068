/**
 * The first-run failures of a real Google Cloud project, each reproduced against the emulators' project modes
 * (or a recording server) and fixed: what the user reads names the resource, the permission or the setting.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BlockKind } from '../main/model/block-kind.ts';
import { UserError } from '../main/model/errors.ts';
import { bigqueryExport } from '../main/blocks/bigquery-export.ts';
import { gcsExport } from '../main/blocks/gcs-export.ts';
import { createStorageClient } from '../main/cloud/gcs-client.ts';
import { resolveProjectId } from '../main/cloud/google-settings.ts';
import { parseServiceAccountKey } from '../main/cloud/service-account-key.ts';
import { loadProject } from '../main/project/load-project.ts';
import { loadPipeline } from '../main/project/load-pipeline.ts';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { resolveRunVariables } from '../main/engine/run-variables.ts';
import { renderConfig } from '../main/model/templating.ts';
import { SecretStore } from '../main/connections/secret-store.ts';
import { testConnection } from '../main/connections/test-connection.ts';
import { stringify } from 'yaml';
import { createTempProject } from './helpers/temp-project.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';
import { querySource } from './helpers/test-kinds.ts';

let harness: BlockHarness;
let gcs: GcsFixture;
let bq: BigQueryFixture;
let runs = 0;

before(async () => {
  harness = await createBlockHarness();
  gcs = await startGcsFixture();
  bq = await startBigQueryFixture({ gcsDataDir: gcs.root });
  await harness.run(querySource, {
    id: 'trips',
    config: { sql: `SELECT range AS id, TIMESTAMP '2021-01-01 10:00:00' + INTERVAL (range) MINUTE AS picked_at FROM range(10)` },
  });
});
after(async () => {
  await bq.close();
  await gcs.close();
  await harness.close();
});
beforeEach(async () => {
  await fetch(`${gcs.emulator.url}/_emulator/modes`, { method: 'DELETE' });
  await fetch(`${bq.endpoint}/_emulator/modes`, { method: 'DELETE' });
});

async function gcsModes(modes: Record<string, unknown>): Promise<void> {
  await fetch(`${gcs.emulator.url}/_emulator/modes`, { method: 'POST', body: JSON.stringify(modes) });
}

/** The block's error message ('' when it succeeded). */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

function toGcs(bucket: string, config: Record<string, unknown> = {}) {
  const settings = {
    endpoint: gcs.emulator.url,
    project_id: 'test-project',
    bucket,
    path: 'trips.parquet',
    create_bucket: true,
    retry: { max_delay_seconds: 1 },
  };
  return harness.attempt(gcsExport, { id: 'to_gcs', upstream: ['trips'], config: { ...settings, ...config } });
}

function toBigQuery(table: string, config: Record<string, unknown> = {}) {
  const kind: BlockKind<unknown> = {
    ...bigqueryExport,
    run: (ctx, c) => bigqueryExport.run({ ...ctx, runId: `run-${++runs}` }, c as never),
  } as BlockKind<unknown>;
  const settings = {
    endpoint: bq.endpoint,
    project_id: 'test-project',
    dataset: 'first',
    table,
    retry: { max_delay_seconds: 1 },
    poll_interval_ms: 50,
  };
  return harness.attempt(kind, { id: 'to_bq', upstream: ['trips'], config: { ...settings, ...config } });
}

describe('GCS on a real project', () => {
  test('a bucket name owned by another project: 409 on create is checked, and the run says the name is taken', async () => {
    await gcsModes({ foreignBuckets: ['nyc-taxi'] });
    const run = await toGcs('nyc-taxi');
    assert.match(messageOf(run.error), /bucket name nyc-taxi is taken by another project \(bucket names are global/);
    assert.ok(run.error instanceof UserError);
    assert.equal(run.error.place.path, 'config.bucket');
  });

  test('a 403 on the bucket says the name may belong to another project or the credential lacks storage.buckets.get', async () => {
    await gcsModes({ foreignBuckets: ['elsewhere'] });
    const run = await toGcs('elsewhere', { create_bucket: false });
    assert.match(
      messageOf(run.error),
      /bucket elsewhere answered 403: the name may belong to another project .* lacks storage\.buckets\.get/,
    );
  });

  test('a service account with object roles only (no storage.buckets.get) exports into an existing bucket', async () => {
    await gcs.storage.createBucket('objects-only-export');
    await gcsModes({ deniedPermissions: ['storage.buckets.get', 'storage.buckets.list'] });
    const run = await toGcs('objects-only-export', { create_bucket: false });
    assert.equal(run.error, undefined);
    const [exists] = await gcs.storage.bucket('objects-only-export').file('trips.parquet').exists();
    assert.equal(exists, true);
  });

  test('a missing object permission is quoted, with the role that grants it', async () => {
    await gcs.storage.createBucket('no-create');
    await gcsModes({ deniedPermissions: ['storage.objects.create'] });
    const run = await toGcs('no-create', { create_bucket: false });
    assert.match(messageOf(run.error), /lacks storage\.objects\.create on bucket no-create: grant roles\/storage\.objectAdmin/);
  });

  test('a disabled API and closed billing are named as such', async () => {
    await gcsModes({ apiDisabled: true });
    assert.match(
      messageOf((await toGcs('api-off')).error),
      /Cloud Storage JSON API is disabled in project test-project: enable it at https:\/\/console\.developers\.google\.com/,
    );
    await gcsModes({ apiDisabled: false, billingDisabled: true });
    assert.match(messageOf((await toGcs('billing-off')).error), /billing is disabled for project test-project/);
  });

  test('a custom endpoint with real credentials still sends them', async () => {
    const seen: IncomingHttpHeaders[] = [];
    // A private endpoint (say, Private Service Connect) answering the bucket call; it records what the client sent.
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ kind: 'storage#bucket', name: 'private', location: 'US' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-key-'));
      writeFileSync(
        path.join(dir, 'sa.json'),
        JSON.stringify({
          type: 'service_account',
          project_id: 'p',
          client_email: 'sa@p.iam.gserviceaccount.com',
          private_key: privateKey,
          universe_domain: 'pipewright.test',
        }),
      );
      const storage = await createStorageClient(
        { endpoint: base, credentials: { key_file: 'sa.json' }, retry: { max_retries: 0 } },
        dir,
        {},
      );
      await storage.bucket('private').getMetadata();
      // Outside Google's default universe the key signs its own token (a self-signed JWT): no token server needed.
      assert.match(String(seen.at(-1)?.authorization), /^Bearer ey/);
    } finally {
      server.close();
    }
  });
});

describe('connections test with least privilege', () => {
  test('a credential without storage.buckets.list passes, saying buckets are checked per pipeline', async () => {
    await gcsModes({ deniedPermissions: ['storage.buckets.list'] });
    const temp = createTempProject();
    temp.writeFile(
      'connections.yaml',
      stringify({ lake: { type: 'gcs', endpoint: gcs.emulator.url, project_id: 'test-project', credentials: 'none' } }),
    );
    try {
      const result = await testConnection(await loadProject(temp.dir), 'lake', SecretStore.forProject(path.join(temp.dir, '.pipewright')));
      assert.equal(result.isOk, true, result.error);
      assert.match(result.server ?? '', /not listed \(the credential lacks storage\.buckets\.list/);
      await gcsModes({ deniedPermissions: [], apiDisabled: true });
      const off = await testConnection(await loadProject(temp.dir), 'lake', SecretStore.forProject(path.join(temp.dir, '.pipewright')));
      assert.equal(off.isOk, false);
      assert.match(off.error ?? '', /Cloud Storage JSON API is disabled in project test-project/);
    } finally {
      temp.cleanup();
    }
  });
});

describe('BigQuery on a real project', () => {
  test('timestamps: timestamp (default) loads naive timestamps as TIMESTAMP, datetime as DATETIME', async () => {
    assert.equal((await toBigQuery('ts_default')).error, undefined);
    assert.equal((await toBigQuery('ts_civil', { timestamps: 'datetime' })).error, undefined);
    const types = async (t: string) =>
      ((await bq.bigquery.dataset('first').table(t).getMetadata())[0].schema.fields as { name: string; type: string }[]).find(
        (f) => f.name === 'picked_at',
      )?.type;
    assert.equal(await types('ts_default'), 'TIMESTAMP');
    assert.equal(await types('ts_civil'), 'DATETIME');
  });

  test('a dataset in another location than the block says is refused before the load, naming both', async () => {
    await bq.bigquery.createDataset('in_eu', { location: 'EU' });
    const run = await toBigQuery('t', { dataset: 'in_eu', location: 'US' });
    assert.match(messageOf(run.error), /dataset in_eu is in EU, but this block's location is US/);
    assert.equal((await bq.bigquery.dataset('in_eu').table('t').exists())[0], false);
  });

  test("a load into a regional dataset runs in the dataset's location without the block naming it", async () => {
    await bq.bigquery.createDataset('regional', { location: 'europe-west1' });
    const run = await toBigQuery('t', { dataset: 'regional' });
    assert.equal(run.error, undefined);
    assert.ok(run.logs.some((l) => /loaded 10 rows/.test(l.message)));
  });

  test('a load from hive folders that had to be percent-encoded is refused: BigQuery would load the encoded text', async () => {
    await harness.run(querySource, { id: 'cities', config: { sql: `SELECT 'New York' AS city, 1 AS n UNION ALL SELECT 'Boston', 2` } });
    const gcsConfig = {
      endpoint: gcs.emulator.url,
      project_id: 'test-project',
      bucket: 'city-lake',
      create_bucket: true,
      path: 'by_city',
      partition_by: ['city'],
      retry: { max_delay_seconds: 1 },
    };
    mkdirSync(path.join(harness.dir, 'pipelines', 'p'), { recursive: true });
    writeFileSync(
      path.join(harness.dir, 'pipelines', 'p', 'pipeline.yaml'),
      JSON.stringify({
        blocks: [
          { id: 'cities', type: 'source', kind: 'test_query', config: { sql: 'SELECT 1' } },
          { id: 'to_lake', type: 'export', kind: 'gcs', upstream: ['cities'], config: gcsConfig },
        ],
      }),
    );
    assert.equal((await harness.attempt(gcsExport, { id: 'to_lake', upstream: ['cities'], config: gcsConfig })).error, undefined);
    await harness.run(querySource, { id: 'to_lake', config: { sql: 'SELECT 1 AS placeholder' } });
    const run = await harness.attempt(bigqueryExport, {
      id: 'to_bq',
      upstream: ['to_lake'],
      config: {
        endpoint: bq.endpoint,
        project_id: 'test-project',
        dataset: 'first',
        table: 'cities',
        source: { from_gcs_block: 'to_lake' },
        poll_interval_ms: 50,
      },
    });
    assert.match(
      messageOf(run.error),
      /by_city\/city=New%20York\/ is percent-encoded, and BigQuery reads hive folder names literally \(it would load "New%20York"\)/,
    );
  });

  test('a missing bigquery.jobs.create is quoted with the role to grant', async () => {
    await fetch(`${bq.endpoint}/_emulator/modes`, {
      method: 'POST',
      body: JSON.stringify({ deniedPermissions: ['bigquery.jobs.create'] }),
    });
    const run = await toBigQuery('denied');
    assert.match(messageOf(run.error), /lacks bigquery\.jobs\.create .*grant roles\/bigquery\.jobUser/);
  });
});

describe('the example on a real project', () => {
  test('its bucket derives from gcp_project, so overriding the project moves the bucket too', async () => {
    const project = await loadProject(path.resolve('examples/nyc-taxi'));
    const pipeline = await loadPipeline(project, 'yellow_taxi_etl', createDefaultRegistry());
    const run = { runId: 'r1', pipelineId: 'yellow_taxi_etl', executionDate: new Date('2021-01-01T00:00:00Z') };
    assert.equal(resolveRunVariables(pipeline, {}, run).gcs_bucket, 'pipewright-local-nyc-taxi');
    const mine = resolveRunVariables(pipeline, { gcp_project: 'acme-data' }, run);
    assert.equal(mine.gcs_bucket, 'acme-data-nyc-taxi');
    const bucket = pipeline.blocks.find((b) => b.id === 'export_yellow_taxi_gcs_partitioned')?.config.bucket;
    assert.equal(renderConfig(bucket, mine), 'acme-data-nyc-taxi');
    assert.equal(resolveRunVariables(pipeline, { gcs_bucket: 'chosen' }, run).gcs_bucket, 'chosen', 'an explicit bucket wins');
  });
});

describe('credentials and project', () => {
  test("without project_id, the project comes from Google's auth library (GOOGLE_CLOUD_PROJECT)", async () => {
    const saved = process.env.GOOGLE_CLOUD_PROJECT;
    process.env.GOOGLE_CLOUD_PROJECT = 'from-environment';
    try {
      assert.equal(await resolveProjectId({ projectId: undefined }, {}), 'from-environment');
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_CLOUD_PROJECT;
      else process.env.GOOGLE_CLOUD_PROJECT = saved;
    }
  });

  test('no project anywhere: "set project_id on connection X" before anything runs', async () => {
    const names = [
      'GOOGLE_CLOUD_PROJECT',
      'GCLOUD_PROJECT',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'CLOUDSDK_CONFIG',
      'METADATA_SERVER_DETECTION',
      'CLOUDSDK_CORE_PROJECT',
    ];
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    for (const n of names) delete process.env[n];
    process.env.CLOUDSDK_CONFIG = mkdtempSync(path.join(os.tmpdir(), 'pw-gcloud-'));
    process.env.METADATA_SERVER_DETECTION = 'none';
    try {
      await assert.rejects(resolveProjectId({ projectId: undefined }, {}, 'connection my_gcs'), /set project_id on connection my_gcs/);
    } finally {
      for (const n of names) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
  });

  test('an OAuth client secret or user credentials given as a key say what they are and what to use', () => {
    assert.throws(
      () =>
        parseServiceAccountKey(JSON.stringify({ installed: { client_id: 'x', client_secret: 'y' } }), 'key file client_secret.json', {}),
      /key file client_secret\.json is an OAuth client secret .*IAM → Service accounts → Keys/,
    );
    assert.throws(
      () =>
        parseServiceAccountKey(JSON.stringify({ type: 'authorized_user', client_id: 'x', refresh_token: 'r' }), 'key file adc.json', {}),
      /your own user credentials .*use credentials: adc/,
    );
  });
});
