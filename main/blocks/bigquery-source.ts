import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { BigQuery, Job } from '@google-cloud/bigquery';
import { z } from 'zod';
import { CancelledError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';
import { bigquerySettingsSchema, createBigQueryClient } from '../cloud/bigquery-client.ts';
import { mergeCloudConnection } from '../connections/block-connection.ts';
import { explainBigQueryError, jobFailureOf, statusOf, waitForJob } from '../cloud/bigquery-jobs.ts';
import { jobIdFrom } from '../cloud/bigquery-names.ts';
import { canonicalType, duckTypeFor, UnsupportedTypeError, type BigQueryField } from '../cloud/bigquery-types.ts';

const configSchema = bigquerySettingsSchema.extend({
  /** The GoogleSQL query; or put it in the block's .sql file. */
  query: z.string().min(1).optional(),
  /** Rows per result page (getQueryResults maxResults). */
  page_size: z.number().int().min(1).max(100_000).default(10_000),
  poll_interval_ms: z.number().int().min(50).max(60_000).default(500),
});
type BigQuerySourceConfig = z.infer<typeof configSchema>;

interface ResultPage {
  jobComplete?: boolean;
  schema?: { fields?: BigQueryField[] };
  rows?: { f: { v: unknown }[] }[];
  pageToken?: string;
  totalRows?: string;
}

/** Runs a BigQuery query job and pages its result into the block's DuckDB table, BigQuery types mapped back. */
export const bigquerySource: BlockKind<BigQuerySourceConfig> = {
  type: 'source',
  kind: 'bigquery',
  title: 'BigQuery query',
  configSchema,
  code: 'optional',
  codeExtension: '.sql',
  async run(ctx, config) {
    const place: ErrorPlace = ctx.block.code ? { block: ctx.block.id, file: ctx.block.code.relPath } : { block: ctx.block.id };
    const query = chooseQuery(config.query, ctx.block.code?.text, place);
    const settings = await mergeCloudConnection(ctx, 'bigquery', config, place);
    const bigquery = await createBigQueryClient(settings, ctx.project.dir, place);
    const jobId = jobIdFrom(['pipewright', ctx.runId, ctx.block.id, `a${ctx.attempt}`]);
    try {
      // 1. A query job under a deterministic id, polled to DONE.
      const job = await startQueryJob(bigquery, query, jobId, settings.location);
      const done = await waitForJob(
        job,
        ctx.signal,
        (state, polls) => ctx.progress({ phase: `query job ${state.toLowerCase()}`, done: polls, unit: 'checks' }),
        config.poll_interval_ms,
      );
      const failure = jobFailureOf(jobId, done, place);
      if (failure) throw failure;
      // 2. Its result, page by page, as JSON lines; 3. DuckDB casts each column back to its type.
      const file = path.join(ctx.tempDir, 'bigquery-result.jsonl');
      const { schema, rows } = await pageResults(ctx, bigquery, job, config, file);
      const written = await ctx.data.writeOutputFromQuery(selectTyped(schema, file, place));
      if (written !== rows) throw new Error(`BigQuery sent ${rows} rows but DuckDB read ${written}`);
      ctx.log('info', `read ${written.toLocaleString('en-US')} rows from BigQuery job ${jobId}`);
      return { rowsOut: written, hasOutput: true };
    } catch (error) {
      throw explainBigQueryError(error, place);
    }
  },
};

function chooseQuery(inConfig: string | undefined, inFile: string | undefined, place: ErrorPlace): string {
  if (inConfig && inFile)
    throw new UserError('give the query either in config.query or in the .sql file, not both', { ...place, path: 'config.query' });
  const query = (inConfig ?? inFile ?? '').trim().replace(/;\s*$/, '');
  if (!query) throw new UserError('no query: set config.query or give the block a .sql file', { ...place, path: 'config.query' });
  return query;
}

/** Starts the job; a 409 means an earlier try of this same insert landed, so that job is followed. */
async function startQueryJob(bigquery: BigQuery, query: string, jobId: string, location: string | undefined): Promise<Job> {
  try {
    const [job] = await bigquery.createQueryJob({ query, useLegacySql: false, jobId, ...(location ? { location } : {}) });
    return job;
  } catch (error) {
    if (statusOf(error) === 409) return bigquery.job(jobId, location ? { location } : {});
    throw error;
  }
}

/** Writes every page of the job's result to `file` (one JSON object per row); resolves to the schema and row count. */
async function pageResults(
  ctx: BlockContext,
  bigquery: BigQuery,
  job: Job,
  config: BigQuerySourceConfig,
  file: string,
): Promise<{ schema: BigQueryField[]; rows: number }> {
  const out = createWriteStream(file);
  let schema: BigQueryField[] = [];
  let rows = 0;
  let pageToken: string | undefined;
  try {
    for (;;) {
      if (ctx.signal.aborted) throw new CancelledError('cancelled while reading BigQuery results');
      const qs = {
        maxResults: config.page_size,
        'formatOptions.useInt64Timestamp': true,
        ...(job.location ? { location: job.location } : {}),
        ...(pageToken ? { pageToken } : {}),
      };
      const page = await requestJson<ResultPage>(bigquery, `/queries/${encodeURIComponent(job.id!)}`, qs);
      if (page.jobComplete === false) continue; // getQueryResults waited its timeout; ask again
      schema = page.schema?.fields ?? schema;
      for (const row of page.rows ?? []) {
        const record = Object.fromEntries(schema.map((field, i) => [`c${i}`, plainValue(row.f[i]?.v ?? null, field)]));
        if (!out.write(JSON.stringify(record) + '\n')) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      rows += page.rows?.length ?? 0;
      ctx.progress({ phase: 'read results', done: rows, ...(page.totalRows ? { total: Number(page.totalRows) } : {}), unit: 'rows' });
      pageToken = page.pageToken;
      if (!pageToken) break;
    }
  } finally {
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
  }
  if (schema.length === 0) throw new UserError('the query returned no schema (no columns)', { block: ctx.block.id });
  return { schema, rows };
}

function requestJson<T>(bigquery: BigQuery, uri: string, qs: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    bigquery.request({ uri, qs }, (error: Error | null, body?: unknown) => (error ? reject(error) : resolve(body as T)));
  });
}

/** A wire value as plain JSON: scalars stay text (cast by DuckDB), RECORD → object, REPEATED → array. */
function plainValue(value: unknown, field: BigQueryField): unknown {
  if (value === null || value === undefined) return null;
  if (field.mode?.toUpperCase() === 'REPEATED') {
    const element = { ...field, mode: 'NULLABLE' };
    return (value as { v: unknown }[]).map((e) => plainValue(e.v, element));
  }
  if (canonicalType(field.type) === 'RECORD') {
    const cells = (value as { f: { v: unknown }[] }).f;
    return Object.fromEntries((field.fields ?? []).map((sub, i) => [sub.name, plainValue(cells[i]?.v ?? null, sub)]));
  }
  // Microseconds (useInt64Timestamp) as ISO text: DuckDB casts that, also inside records and lists.
  if (canonicalType(field.type) === 'TIMESTAMP' && typeof value === 'string' && /^-?\d+$/.test(value)) return isoFromMicros(BigInt(value));
  return value;
}

function isoFromMicros(micros: bigint): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${new Date(Number(millis)).toISOString().slice(0, 19).replace('T', ' ')}.${String(rest).padStart(6, '0')}`;
}

/** SELECT over the JSON lines file casting each column to the DuckDB type of its BigQuery type. */
function selectTyped(schema: BigQueryField[], file: string, place: ErrorPlace): string {
  const columns = schema.map((field, i) => {
    const nested = field.mode?.toUpperCase() === 'REPEATED' || canonicalType(field.type) === 'RECORD';
    return `${quoteLiteral(`c${i}`)}: ${quoteLiteral(nested ? 'JSON' : 'VARCHAR')}`;
  });
  const select = schema.map((field, i) => `${castFrom(quoteIdent(`c${i}`), field, place)} AS ${quoteIdent(field.name)}`);
  return `SELECT ${select.join(', ')} FROM read_json(${quoteLiteral(file)}, format = 'newline_delimited', columns = {${columns.join(', ')}})`;
}

function castFrom(col: string, field: BigQueryField, place: ErrorPlace): string {
  let duckType: string;
  try {
    duckType = duckTypeFor(field);
  } catch (error) {
    if (error instanceof UnsupportedTypeError) throw new UserError(error.message, place);
    throw error;
  }
  if (field.mode?.toUpperCase() === 'REPEATED' || canonicalType(field.type) === 'RECORD') return `CAST(${col} AS ${duckType})`;
  switch (canonicalType(field.type)) {
    case 'BYTES':
      return `from_base64(${col})`;
    default:
      return `CAST(${col} AS ${duckType})`;
  }
}
