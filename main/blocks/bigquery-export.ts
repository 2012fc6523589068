import type { BigQuery } from '@google-cloud/bigquery';
import { z } from 'zod';
import { OperationalError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { bigquerySettingsSchema, createBigQueryClient } from '../cloud/bigquery-client.ts';
import { mergeCloudConnection } from '../connections/block-connection.ts';
import { explainBigQueryError, jobFailureOf, startLoadJob, statusOf, waitForJob } from '../cloud/bigquery-jobs.ts';
import { datasetNameProblem, tableNameProblem } from '../cloud/bigquery-names.ts';
import { findLoadTry } from '../cloud/bigquery-load-tries.ts';
import { killPoint } from '../model/kill-point.ts';
import { canonicalType, schemaDifferences, type BigQueryField } from '../cloud/bigquery-types.ts';
import { onlyUpstream } from './export-upstream.ts';
import { gcsBlockData, uploadData, type LoadData } from './bigquery-load-data.ts';
import { formatBytes } from './http-download.ts';
import { planBigQueryExport } from './bigquery-plan.ts';

const DISPOSITIONS = { truncate: 'WRITE_TRUNCATE', append: 'WRITE_APPEND', empty: 'WRITE_EMPTY' } as const;

const configSchema = bigquerySettingsSchema.extend({
  dataset: z.string().min(1),
  table: z.string().min(1),
  /** truncate: the table holds exactly this run's rows (and schema); append: add them; empty: only into an empty table. */
  write_disposition: z.enum(['truncate', 'append', 'empty']).default('truncate'),
  /** `upload` (default): the upstream output, sent as Parquet with the job; or the objects a `gcs` export block wrote. */
  source: z.union([z.literal('upload'), z.strictObject({ from_gcs_block: z.string().min(1) })]).default('upload'),
  time_partitioning: z.strictObject({ field: z.string().min(1), type: z.enum(['DAY', 'HOUR', 'MONTH', 'YEAR']).default('DAY') }).optional(),
  /** Up to four top-level columns, most important first. */
  clustering: z.array(z.string().min(1)).min(1).max(4).optional(),
  /** Create the dataset when it does not exist (in `location`). */
  create_dataset: z.boolean().default(true),
  /**
   * Naive DuckDB timestamps: `timestamp` loads them as UTC instants (TIMESTAMP), `datetime` as DATETIME. Uploads
   * only; from_gcs_block reads what the gcs block wrote (its own `timestamps`).
   */
  timestamps: z.enum(['timestamp', 'datetime']).default('timestamp'),
  /** How often to ask BigQuery whether the job is done. */
  poll_interval_ms: z.number().int().min(50).max(60_000).default(500),
});
export type BigQueryExportConfig = z.infer<typeof configSchema>;

/** Loads the upstream output (uploaded, or from a gcs export's objects) into a BigQuery table with one load job. */
export const bigqueryExport: BlockKind<BigQueryExportConfig> = {
  type: 'export',
  kind: 'bigquery',
  title: 'BigQuery table (load job)',
  configSchema,
  code: 'none',
  async run(ctx, inline) {
    const place: ErrorPlace = { block: ctx.block.id };
    // 1. Names and options BigQuery would refuse fail here, before anything is written or uploaded.
    checkNames(inline, place);
    // The connection's fields (named, else default_connections.bigquery) beneath the block's own.
    const config = await mergeCloudConnection(ctx, 'bigquery', inline, place);
    const data =
      config.source === 'upload'
        ? await uploadData(ctx, onlyUpstream(ctx), place, config.timestamps)
        : await gcsBlockData(ctx, config.source.from_gcs_block, place);
    checkTableOptions(config, data.schema, place);
    const bigquery = await createBigQueryClient(config, ctx.project.dir, place);
    try {
      // 2. The dataset exists (created when allowed, beside the bucket) and its location suits the bucket. Jobs run
      //    in the dataset's location, as BigQuery requires.
      const existing = await datasetLocation(bigquery, config.dataset);
      const location = existing ?? config.location ?? data.bucket?.location ?? 'US';
      checkLocations(config, location, data, place);
      if (!existing) await createDataset(bigquery, config, location, place);
      // 3. A job of this same load that an earlier attempt or process started is followed, never started again
      //    (ids are deterministic per load: see findLoadTry); otherwise the table must accept the load, and one job
      //    starts under the next id.
      const destination = `${bigquery.projectId}.${config.dataset}.${config.table} ${config.write_disposition}`;
      const loadTry = await findLoadTry(
        bigquery,
        { originRunId: ctx.originRunId, blockId: ctx.block.id, destination },
        location,
        place,
        ctx.log,
      );
      const jobId = loadTry.jobId;
      let job = loadTry.earlier;
      if (!job) {
        await checkExistingTable(bigquery, config, data.schema, place);
        const load = loadConfiguration(bigquery.projectId, config, data.load);
        const table = bigquery.dataset(config.dataset, location ? { location } : {}).table(config.table);
        ctx.progress({ phase: 'start load job', done: 0, unit: 'items' });
        job = await startLoadJob(
          bigquery,
          table,
          { jobId, location, load, ...(data.localFile ? { localFile: data.localFile } : {}) },
          ctx.log,
        );
        killPoint(`bigquery.${config.write_disposition}.job-started`);
      }
      // 4. Polled to DONE; 5. its row count checked.
      const started = Date.now();
      const metadata = await waitForJob(
        job,
        ctx.signal,
        (state, polls) => {
          ctx.progress({ phase: `load job ${state.toLowerCase()}`, done: polls, unit: 'checks' });
          if (polls % 20 === 0) ctx.log('info', `load job ${jobId} is ${state} after ${Math.round((Date.now() - started) / 1000)} s`);
        },
        config.poll_interval_ms,
      );
      killPoint(`bigquery.${config.write_disposition}.job-done`);
      const failure = jobFailureOf(jobId, metadata, place);
      if (failure) throw failure;
      const rowsOut = Number(metadata.statistics?.load?.outputRows ?? NaN);
      return report(ctx, config, bigquery.projectId, jobId, data, rowsOut, place);
    } catch (error) {
      throw explainBigQueryError(error, place);
    }
  },
  planExport: (ctx, config) => planBigQueryExport(ctx, config),
};

export function checkNames(config: BigQueryExportConfig, place: ErrorPlace): void {
  const datasetProblem = datasetNameProblem(config.dataset);
  if (datasetProblem)
    throw new UserError(`dataset "${config.dataset}" would be refused by BigQuery: ${datasetProblem}`, {
      ...place,
      path: 'config.dataset',
    });
  const tableProblem = tableNameProblem(config.table);
  if (tableProblem)
    throw new UserError(`table "${config.table}" would be refused by BigQuery: ${tableProblem}`, { ...place, path: 'config.table' });
}

function checkTableOptions(config: BigQueryExportConfig, schema: BigQueryField[], place: ErrorPlace): void {
  const find = (name: string) => schema.find((f) => f.name.toLowerCase() === name.toLowerCase());
  const partition = config.time_partitioning;
  if (partition) {
    const field = find(partition.field);
    if (!field || !['DATE', 'TIMESTAMP', 'DATETIME'].includes(canonicalType(field.type)) || field.mode === 'REPEATED') {
      const found = field ? `is ${canonicalType(field.type)}` : 'is not a column of the output';
      throw new UserError(`time_partitioning.field ${partition.field} ${found}: BigQuery partitions by a DATE or TIMESTAMP column`, {
        ...place,
        path: 'config.time_partitioning.field',
      });
    }
    if (canonicalType(field.type) === 'DATE' && partition.type === 'HOUR')
      throw new UserError(`time_partitioning.type HOUR needs a TIMESTAMP column; ${partition.field} is a DATE`, {
        ...place,
        path: 'config.time_partitioning.type',
      });
  }
  for (const name of config.clustering ?? []) {
    const field = find(name);
    if (!field || field.mode === 'REPEATED' || canonicalType(field.type) === 'RECORD') {
      throw new UserError(
        `clustering column ${name} ${field ? 'is a list or record' : 'is not a column of the output'}: BigQuery clusters by top-level simple columns`,
        { ...place, path: 'config.clustering' },
      );
    }
  }
}

/** An existing dataset's location; undefined when there is no such dataset. */
export async function datasetLocation(bigquery: BigQuery, dataset: string): Promise<string | undefined> {
  try {
    const [meta] = (await bigquery.dataset(dataset).getMetadata()) as [{ location?: string }, ...unknown[]];
    return meta.location ?? 'US';
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Creates the missing dataset in `location` when create_dataset allows it. */
async function createDataset(bigquery: BigQuery, config: BigQueryExportConfig, location: string, place: ErrorPlace): Promise<void> {
  if (!config.create_dataset)
    throw new UserError(
      `dataset ${config.dataset} does not exist in project ${bigquery.projectId} (create it, or set create_dataset: true)`,
      { ...place, path: 'config.dataset' },
    );
  try {
    await bigquery.createDataset(config.dataset, { location });
  } catch (error) {
    if (statusOf(error) !== 409) throw error; // created meanwhile, or by our own retried request: fine
  }
}

/**
 * Refuses, before the load, a dataset whose location is not the configured one, or that cannot read the bucket:
 * "If your dataset's location is set to a value other than the US multi-region, then the Cloud Storage bucket must
 * be in the same region or contained in the same multi-region as the dataset"
 * (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#limitations).
 */
function checkLocations(config: BigQueryExportConfig, datasetLocation: string, data: LoadData, place: ErrorPlace): void {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (config.location && !same(config.location, datasetLocation)) {
    throw new UserError(
      `dataset ${config.dataset} is in ${datasetLocation}, but this block's location is ${config.location}: set location: ${datasetLocation}, or use a dataset in ${config.location}`,
      { ...place, path: 'config.location' },
    );
  }
  const bucket = data.bucket;
  if (!bucket?.location || same(datasetLocation, 'US') || same(bucket.location, datasetLocation)) return;
  if (same(datasetLocation, 'EU') && /^europe-/i.test(bucket.location)) return;
  throw new UserError(
    `bucket ${bucket.name} is in ${bucket.location} and dataset ${config.dataset} in ${datasetLocation}: BigQuery loads only from a bucket in the dataset's location; use a dataset in ${bucket.location} or a bucket in ${datasetLocation}`,
    { ...place, path: 'config.dataset' },
  );
}

/** Appends must match the table's schema; `empty` must find the table empty. Both refused before any upload. */
async function checkExistingTable(
  bigquery: BigQuery,
  config: BigQueryExportConfig,
  schema: BigQueryField[],
  place: ErrorPlace,
): Promise<void> {
  if (config.write_disposition === 'truncate') return;
  const table = bigquery.dataset(config.dataset).table(config.table);
  const [exists] = await table.exists();
  if (!exists) return;
  const [metadata] = (await table.getMetadata()) as [{ schema?: { fields?: BigQueryField[] }; numRows?: string }, ...unknown[]];
  const name = `${config.dataset}.${config.table}`;
  if (config.write_disposition === 'empty' && Number(metadata.numRows ?? 0) > 0) {
    throw new UserError(
      `${name} already has ${metadata.numRows} rows; write_disposition empty only writes to an empty table (use truncate or append)`,
      { ...place, path: 'config.write_disposition' },
    );
  }
  const differences = schemaDifferences(schema, metadata.schema?.fields ?? []);
  if (config.write_disposition === 'append' && differences.length > 0) {
    throw new UserError(`cannot append to ${name}: its schema differs from this output's — ${differences.join('; ')}`, {
      ...place,
      path: 'config.write_disposition',
    });
  }
}

/** The load job's `configuration.load`: the destination, dispositions and table options over the source's fields. */
export function loadConfiguration(
  projectId: string,
  config: BigQueryExportConfig,
  source: Record<string, unknown>,
): Record<string, unknown> {
  return {
    destinationTable: { projectId, datasetId: config.dataset, tableId: config.table },
    writeDisposition: DISPOSITIONS[config.write_disposition],
    createDisposition: 'CREATE_IF_NEEDED',
    // Lists load as REPEATED columns, and decimals as NUMERIC when they fit, else BIGNUMERIC (never FLOAT).
    parquetOptions: { enableListInference: true },
    decimalTargetTypes: ['NUMERIC', 'BIGNUMERIC'],
    ...source,
    ...(config.time_partitioning
      ? { timePartitioning: { type: config.time_partitioning.type, field: config.time_partitioning.field } }
      : {}),
    ...(config.clustering ? { clustering: { fields: config.clustering } } : {}),
  };
}

function report(
  ctx: BlockContext,
  config: BigQueryExportConfig,
  projectId: string,
  jobId: string,
  data: LoadData,
  rowsOut: number,
  place: ErrorPlace,
) {
  const table = `${projectId}.${config.dataset}.${config.table}`;
  if (data.expectedRows !== undefined && rowsOut !== data.expectedRows) {
    throw new OperationalError(`BigQuery job ${jobId} loaded ${rowsOut} rows into ${table}, but the source has ${data.expectedRows}`, {
      place,
      permanent: true,
    });
  }
  if (data.expectedRows === undefined)
    ctx.log('warn', `the objects carry no pipewright_rows metadata, so the loaded row count (${rowsOut}) could not be checked`);
  ctx.log(
    'info',
    `loaded ${rowsOut.toLocaleString('en-US')} rows into ${table} (${config.write_disposition}) from ${data.label}, ${formatBytes(data.bytes)}; BigQuery job ${jobId}`,
  );
  return { rowsIn: data.expectedRows ?? rowsOut, rowsOut, bytes: data.bytes, hasOutput: false };
}
