import type { BigQuery } from '@google-cloud/bigquery';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import { createBigQueryClient, type BigQuerySettings } from '../cloud/bigquery-client.ts';
import { datasetNameProblem, tableNameProblem } from '../cloud/bigquery-names.ts';
import { schemaDifferences, type BigQueryField } from '../cloud/bigquery-types.ts';
import { explainForbidden } from '../cloud/google-forbidden.ts';
import { schemaForColumns } from '../blocks/bigquery-load-data.ts';
import { gcsExport } from '../blocks/gcs-export.ts';
import { mergeCloudConnection } from '../connections/block-connection.ts';
import { bucketLocationFor } from './check-gcs.ts';
import { fail, isUnreachable, messageOf, ok, skip, statusOf, warn, type CheckEnv, type CheckItem } from './check-types.ts';

interface ExportConfig extends BigQuerySettings {
  dataset: string;
  table: string;
  write_disposition: 'truncate' | 'append' | 'empty';
  source: 'upload' | { from_gcs_block: string };
  create_dataset: boolean;
  timestamps: 'timestamp' | 'datetime';
}

/**
 * A bigquery export as the run will find it, without writing: credentials and project, dataset (and its location
 * against the block's and the bucket's), jobs.create (through a dry run, which runs nothing), and the table's
 * schema for an append.
 */
export async function checkBigQueryExport(env: CheckEnv, config: ExportConfig): Promise<CheckItem[]> {
  const place: ErrorPlace = { block: env.block.id };
  const problem = datasetNameProblem(config.dataset) ?? tableNameProblem(config.table);
  if (problem) return [fail('names', `${config.dataset}.${config.table} would be refused by BigQuery: ${problem}`)];
  const opened = await openClient(env, config, place);
  if ('item' in opened) return [opened.item];
  const { bigquery } = opened;
  const items: CheckItem[] = [ok('credentials', `project ${bigquery.projectId}`)];
  const dataset = await datasetState(bigquery, config);
  items.push(dataset.item);
  if (dataset.item.status === 'fail') return items;
  const location = dataset.location ?? config.location;
  items.push(await bucketLocation(env, config, location));
  items.push(await dryRun(bigquery, 'SELECT 1', location, 'permissions', `${config.dataset}`));
  items.push(await tableSchema(env, bigquery, config));
  return items;
}

/** A bigquery query block: its query dry-run, with the bytes it would read. */
export async function checkBigQueryQuery(env: CheckEnv, config: BigQuerySettings & { query?: string | undefined }): Promise<CheckItem[]> {
  const opened = await openClient(env, config, { block: env.block.id });
  if ('item' in opened) return [opened.item];
  const query = config.query ?? env.block.code?.text;
  if (!query) return [fail('query', 'no query: set config.query or give the block a .sql file')];
  return [
    ok('credentials', `project ${opened.bigquery.projectId}`),
    await dryRun(opened.bigquery, query, config.location, 'query', 'the query'),
  ];
}

async function openClient(
  env: CheckEnv,
  config: BigQuerySettings,
  place: ErrorPlace,
): Promise<{ bigquery: BigQuery } | { item: CheckItem }> {
  try {
    const settings = await mergeCloudConnection(env, 'bigquery', config, place);
    return { bigquery: await createBigQueryClient(settings, env.project.dir, place) };
  } catch (error) {
    if (error instanceof UserError) return { item: fail('credentials', error.message) };
    throw error;
  }
}

async function datasetState(bigquery: BigQuery, config: ExportConfig): Promise<{ item: CheckItem; location?: string }> {
  try {
    const [meta] = (await bigquery.dataset(config.dataset).getMetadata()) as [{ location?: string }, ...unknown[]];
    const location = meta.location ?? 'US';
    if (config.location && config.location.toLowerCase() !== location.toLowerCase()) {
      return {
        item: fail(
          'dataset',
          `dataset ${config.dataset} is in ${location}, but this block's location is ${config.location}: set location: ${location}, or use a dataset in ${config.location}`,
        ),
        location,
      };
    }
    return { item: ok('dataset', `${bigquery.projectId}.${config.dataset} exists (location ${location})`), location };
  } catch (error) {
    if (statusOf(error) === 404) {
      return {
        item: config.create_dataset
          ? ok('dataset', `${config.dataset} does not exist yet; the run creates it`)
          : fail('dataset', `dataset ${config.dataset} does not exist (create it, or set create_dataset: true)`),
      };
    }
    if (isUnreachable(error)) return { item: warn('dataset', `could not reach BigQuery: ${messageOf(error)}`) };
    return { item: fail('dataset', explainForbidden(error, `dataset ${config.dataset}`, bigquery.projectId)) };
  }
}

/** A load from gs:// needs the bucket where the dataset can read it (loading-data-cloud-storage-parquet#limitations). */
async function bucketLocation(env: CheckEnv, config: ExportConfig, datasetLocation: string | undefined): Promise<CheckItem> {
  if (config.source === 'upload') return skip('bucket location', 'uploads carry their data with the job');
  const gcsBlock = env.blockConfig(config.source.from_gcs_block);
  const parsed = gcsBlock ? gcsExport.configSchema.safeParse(gcsBlock.config) : undefined;
  if (!parsed?.success) return skip('bucket location', `${config.source.from_gcs_block} is not a valid gcs block (the run says why)`);
  const bucketAt = await bucketLocationFor(env, parsed.data);
  const datasetAt = datasetLocation ?? bucketAt ?? 'US';
  if (!bucketAt) return skip('bucket location', `bucket ${parsed.data.bucket}'s location is not readable yet`);
  const same =
    bucketAt.toLowerCase() === datasetAt.toLowerCase() ||
    datasetAt.toUpperCase() === 'US' ||
    (datasetAt.toUpperCase() === 'EU' && /^europe-/i.test(bucketAt));
  if (same) return ok('bucket location', `bucket ${parsed.data.bucket} in ${bucketAt}, dataset in ${datasetAt}`);
  return fail(
    'bucket location',
    `bucket ${parsed.data.bucket} is in ${bucketAt} and dataset ${config.dataset} in ${datasetAt}: BigQuery loads only from a bucket in the dataset's location`,
  );
}

/** A dry run needs bigquery.jobs.create and runs nothing (https://cloud.google.com/bigquery/docs/dry-run-queries). */
async function dryRun(bigquery: BigQuery, query: string, location: string | undefined, name: string, what: string): Promise<CheckItem> {
  try {
    const [job] = await bigquery.createQueryJob({ query, dryRun: true, ...(location ? { location } : {}) });
    const bytes = Number((job.metadata as { statistics?: { totalBytesProcessed?: string } }).statistics?.totalBytesProcessed ?? 0);
    return ok(name, name === 'query' ? `dry run: would read ${bytes.toLocaleString('en-US')} bytes` : 'bigquery.jobs.create (dry run)');
  } catch (error) {
    if (statusOf(error) === 403) return fail(name, explainForbidden(error, what, bigquery.projectId));
    if (isUnreachable(error)) return warn(name, `could not reach BigQuery: ${messageOf(error)}`);
    return fail(name, `dry run of ${what} failed: ${messageOf(error)}`);
  }
}

/** An append needs the table's schema to match the upstream's latest output (when there is one). */
async function tableSchema(env: CheckEnv, bigquery: BigQuery, config: ExportConfig): Promise<CheckItem> {
  if (config.write_disposition !== 'append')
    return skip('table schema', `write_disposition ${config.write_disposition} does not depend on it`);
  if (config.source !== 'upload') return skip('table schema', 'checked by the load job against the objects');
  const upstream = env.block.upstream[0];
  const columns = upstream ? await env.upstreamColumns(upstream) : undefined;
  if (!columns) return skip('table schema', `${upstream ?? 'the upstream'} has no output yet`);
  let table: BigQueryField[];
  try {
    const [meta] = (await bigquery.dataset(config.dataset).table(config.table).getMetadata()) as [
      { schema?: { fields?: BigQueryField[] } },
      ...unknown[],
    ];
    table = meta.schema?.fields ?? [];
  } catch (error) {
    if (statusOf(error) === 404) return ok('table schema', `${config.table} does not exist yet; the load creates it`);
    return warn('table schema', `could not read ${config.table}: ${messageOf(error)}`);
  }
  const differences = schemaDifferences(
    schemaForColumns(columns, { block: env.block.id }, config.timestamps === 'datetime' ? 'DATETIME' : 'TIMESTAMP'),
    table,
  );
  return differences.length === 0
    ? ok('table schema', `${config.table} accepts ${upstream}'s columns`)
    : fail('table schema', `cannot append to ${config.dataset}.${config.table}: ${differences.join('; ')}`);
}
