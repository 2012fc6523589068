/**
 * `npm run test:gcp`: the nyc-taxi example's GCS and BigQuery exports against a real Google Cloud project, in a
 * throwaway bucket and dataset (random suffix) that are deleted afterwards, even when the run fails.
 * Needs PIPEWRIGHT_GCP_PROJECT and Application Default Credentials (gcloud auth application-default login, or
 * GOOGLE_APPLICATION_CREDENTIALS); PIPEWRIGHT_GCP_LOCATION picks the location (default US). Without them it prints
 * what it needs and is marked skipped. It lives outside test/**\/*.test.ts, so `npm test` never counts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BigQuery } from '@google-cloud/bigquery';
import { Storage } from '@google-cloud/storage';
import { parse, stringify } from 'yaml';
import { initProject } from '../../main/project/init-project.ts';
import { checkPipeline } from '../../main/preflight/check-pipeline.ts';
import { openProject } from '../../main/runtime/open-project.ts';
import { startFileServer } from '../helpers/http-server.ts';
import { writeYellowTaxiCsv } from '../helpers/taxi-csv.ts';

const projectId = process.env.PIPEWRIGHT_GCP_PROJECT;
const location = process.env.PIPEWRIGHT_GCP_LOCATION ?? 'US';
const BLOCKS = [
  'load_yellow_taxi',
  'clean_yellow_taxi',
  'export_yellow_taxi_gcs_single',
  'export_yellow_taxi_gcs_partitioned',
  'load_yellow_taxi_bigquery',
];

/** Why the test cannot run here, or undefined when it can. */
async function missing(): Promise<string | undefined> {
  if (!projectId) return 'set PIPEWRIGHT_GCP_PROJECT to a project you may create buckets and datasets in';
  try {
    const { GoogleAuth } = await import('google-auth-library');
    await new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).getAccessToken();
    return undefined;
  } catch (error) {
    return `no usable Application Default Credentials (run gcloud auth application-default login, or set GOOGLE_APPLICATION_CREDENTIALS): ${error instanceof Error ? error.message : String(error)}`;
  }
}

const reason = await missing();
if (reason) process.stdout.write(`test:gcp skipped: ${reason}\n`);

test(
  'the nyc-taxi example exports to a real GCS bucket and BigQuery dataset, with the types it declares',
  { skip: reason ?? false, timeout: 900_000 },
  async () => {
    const suffix = randomBytes(4).toString('hex');
    const bucketName = `${projectId}-pw-live-${suffix}`;
    const datasetId = `pw_live_${suffix}`;
    const storage = new Storage({ projectId: projectId! });
    const bigquery = new BigQuery({ projectId: projectId!, location });
    const root = mkdtempSync(path.join(os.tmpdir(), 'pw-live-'));
    const server = await startFileServer();
    try {
      // 1. The example project, pointed at the real project through two connections (ADC), on a generated month.
      const csv = path.join(root, 'yellow.csv.gz');
      const stats = await writeYellowTaxiCsv(csv, { rows: 20_000, seed: 11, gzip: true });
      server.serve('/yellow.csv.gz', { file: csv });
      const dir = path.join(root, 'nyc');
      await initProject(dir, { example: 'nyc-taxi' });
      writeFileSync(
        path.join(dir, 'connections.yaml'),
        `${readFileSync(path.join(dir, 'connections.yaml'), 'utf8')}\n${stringify({
          live_gcs: { type: 'gcs', project_id: projectId, location, credentials: 'adc' },
          live_bq: { type: 'bigquery', project_id: projectId, location, credentials: 'adc' },
        })}`,
      );
      const settings = parse(readFileSync(path.join(dir, 'pipewright.yaml'), 'utf8')) as { default_connections: Record<string, string> };
      settings.default_connections = { ...settings.default_connections, gcs: 'live_gcs', bigquery: 'live_bq' };
      writeFileSync(path.join(dir, 'pipewright.yaml'), stringify(settings));
      const variables = {
        source_url: `${server.url}/yellow.csv.gz`,
        gcp_project: projectId!,
        gcs_bucket: bucketName,
        bq_dataset: datasetId,
      };

      // 2. pipewright check passes for the cloud blocks, and wrote nothing.
      const open = await openProject(dir, { preflight: 'every' });
      try {
        const report = await checkPipeline(open, 'yellow_taxi_etl', { variables });
        const cloud = report.blocks.filter((b) => b.kind !== 'export/postgres');
        assert.ok(
          cloud.every((b) => b.items.every((i) => i.status !== 'fail')),
          JSON.stringify(cloud, null, 2),
        );
        assert.equal((await storage.bucket(bucketName).exists())[0], false, 'check creates nothing');

        // 3. The exports run.
        const result = await open.run({
          pipeline: await open.loadPipeline('yellow_taxi_etl'),
          scope: { kind: 'blocks', blocks: BLOCKS },
          variables,
          trigger: { kind: 'cli', by: 'test:gcp' },
        });
        assert.equal(result.status, 'succeeded', JSON.stringify(result));
      } finally {
        await open.close();
      }

      // 4. Row counts and types, read back with the official clients.
      const [files] = await storage.bucket(bucketName).getFiles();
      assert.ok(files.some((f) => f.name === 'nyc_taxi_data.parquet'));
      assert.equal(
        new Set(files.filter((f) => f.name.startsWith('nyc_taxi_data/')).map((f) => path.posix.dirname(f.name))).size,
        stats.keptPickupDates,
      );
      const [meta] = await bigquery.dataset(datasetId).table('yellow_cab_data').getMetadata();
      const types = Object.fromEntries((meta.schema.fields as { name: string; type: string }[]).map((f) => [f.name, f.type]));
      assert.equal(types.tpep_pickup_datetime, 'TIMESTAMP');
      assert.equal(types.tpep_pickup_date, 'DATE');
      assert.equal(types.fare_amount, 'FLOAT');
      const [rows] = await bigquery.query({ query: `SELECT count(*) AS n FROM \`${projectId}.${datasetId}.yellow_cab_data\``, location });
      assert.equal(Number(rows[0].n), stats.keptRows);
    } finally {
      // 5. Everything this test made goes, whatever happened above.
      await storage
        .bucket(bucketName)
        .deleteFiles({ force: true })
        .catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
      await storage
        .bucket(bucketName)
        .delete()
        .catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
      await bigquery
        .dataset(datasetId)
        .delete({ force: true })
        .catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  },
);
