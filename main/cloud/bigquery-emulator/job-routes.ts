import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GoogleHttpError, parseJsonBody, sendJson } from '../http-util.ts';
import type { ServerResponse } from 'node:http';
import { parseMultipart } from '../multipart.ts';
import { jobResource, type StoredJob } from './jobs.ts';
import { tableKey, type JobError } from './catalog.ts';
import { resultTable, type QueryResult } from './query-job.ts';
import type { Field } from './schema.ts';
import { tableStats } from './table-stats.ts';
import { offsetOf, pageTokenFor } from './resources.ts';
import { tableOf, type BigQueryContext, type BigQueryRequest, type Handler, type Route } from './routes.ts';
import { qualifiedName } from './sql.ts';
import { readWireRowsJson } from './table-rows.ts';

/** Rows per page when the client gives no maxResults (BigQuery pages by ~10 MB; rows are simpler to test). */
const DEFAULT_PAGE_ROWS = 10_000;

/** Routes under `projects/P/jobs`, `projects/P/queries` and the upload API. */
export function jobRoute(req: Pick<BigQueryRequest, 'method' | 'segments' | 'isUpload' | 'query'>): Route | undefined {
  const s = req.segments;
  const m = req.method;
  if (req.isUpload) {
    if (s.length !== 3 || s[2] !== 'jobs') return undefined;
    if (m === 'POST') return { operation: 'jobs.upload', handler: uploadJob };
    if (m === 'PUT' && req.query.has('upload_id')) return { operation: 'jobs.upload', handler: putUploadChunk };
    return undefined;
  }
  if (s[2] === 'queries') {
    if (s.length === 3 && m === 'POST') return { operation: 'jobs.query', handler: queryJob };
    if (s.length === 4 && m === 'GET') return { operation: 'jobs.getQueryResults', handler: getQueryResults };
    return undefined;
  }
  if (s.length === 3)
    return m === 'POST'
      ? { operation: 'jobs.insert', handler: insertJob }
      : m === 'GET'
        ? { operation: 'jobs.list', handler: listJobs }
        : undefined;
  if (s.length === 4 && m === 'GET') return { operation: 'jobs.get', handler: getJob };
  if (s.length === 5 && s[4] === 'cancel' && m === 'POST') return { operation: 'jobs.cancel', handler: cancelJob };
  return undefined;
}

const insertJob: Handler = async (ctx, req, res) => {
  const body = parseJsonBody(req.body);
  if ((body.configuration as { dryRun?: boolean } | undefined)?.dryRun === true)
    return sendJson(res, 200, await ctx.jobs.dryRun(req.segments[1]!, body));
  const job = await ctx.jobs.insert(req.segments[1]!, body, jobFaults(req));
  sendJson(res, 200, jobResource(job));
};

const uploadJob: Handler = async (ctx, req, res) => {
  const type = req.query.get('uploadType') ?? 'multipart';
  if (type === 'resumable') {
    const id = await ctx.uploads.open(parseJsonBody(req.body));
    const location = `${ctx.baseUrl}/upload/bigquery/v2/projects/${encodeURIComponent(req.segments[1]!)}/jobs?uploadType=resumable&upload_id=${id}`;
    res.writeHead(200, { Location: location, 'Content-Length': 0 }).end();
    return;
  }
  if (type !== 'multipart')
    throw new GoogleHttpError(400, 'invalid', `uploadType ${type} is not supported for jobs (multipart or resumable)`);
  const [jsonPart, mediaPart] = parseMultipart(header(req.headers['content-type']), req.body);
  if (!jsonPart || !mediaPart)
    throw new GoogleHttpError(400, 'invalid', 'a multipart job upload needs a job configuration part and a data part');
  const file = path.join(ctx.uploadsDir, `${randomUUID()}.upload`);
  await writeFile(file, mediaPart.body);
  const job = await ctx.jobs.insert(req.segments[1]!, parseJsonBody(jsonPart.body), {
    ...jobFaults(req),
    upload: { file, bytes: mediaPart.body.length },
  });
  sendJson(res, 200, jobResource(job));
};

const putUploadChunk: Handler = async (ctx, req, res) => {
  const reply = await ctx.uploads.put(req.query.get('upload_id')!, header(req.headers['content-range']), req.body);
  if (reply.done) {
    const job = await ctx.jobs.insert(req.segments[1]!, reply.jobBody, {
      ...jobFaults(req),
      upload: { file: reply.file, bytes: reply.bytes },
    });
    return sendJson(res, 200, jobResource(job));
  }
  const headers: Record<string, string | number> = { 'Content-Length': 0 };
  if (reply.persisted > 0) headers.Range = `bytes=0-${reply.persisted - 1}`;
  res.writeHead(308, headers).end();
};

const getJob: Handler = async (ctx, req, res) => {
  sendJson(res, 200, jobResource(ctx.jobs.get(req.segments[1]!, req.segments[3]!, req.query.get('location') ?? undefined)));
};

const listJobs: Handler = async (ctx, _req, res) => {
  const jobs = [...ctx.catalog.jobs.values()].map((j) => ({ ...jobResource(j), state: j.status.state }));
  sendJson(res, 200, { kind: 'bigquery#jobList', jobs });
};

/** jobs.cancel answers at once with the job as it is; a running job then ends `stopped` (jobs.ts). */
const cancelJob: Handler = async (ctx, req, res) => {
  sendJson(res, 200, {
    kind: 'bigquery#jobCancelResponse',
    job: jobResource(ctx.jobs.cancel(req.segments[1]!, req.segments[3]!, req.query.get('location') ?? undefined)),
  });
};

/**
 * jobs.query (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query): a query job started and waited
 * for (up to timeoutMs), answered with its first page. `labels` and `maximumBytesBilled` apply as on jobs.insert;
 * a retried request with the same `requestId` follows the job the first one started instead of running twice.
 */
const queryJob: Handler = async (ctx, req, res) => {
  const body = parseJsonBody(req.body);
  const projectId = req.segments[1]!;
  if (body.queryParameters !== undefined)
    throw new GoogleHttpError(400, 'invalidQuery', 'query parameters are not supported by the emulator: write the values into the query');
  const query = { query: body.query, useLegacySql: body.useLegacySql ?? true, ...pick(body, ['defaultDataset', 'maximumBytesBilled']) };
  const configuration = { query, ...pick(body, ['labels']) };
  if (body.dryRun === true) {
    const dry = await ctx.jobs.dryRun(projectId, {
      configuration: { ...configuration, dryRun: true },
      jobReference: { location: body.location },
    });
    const statistics = dry.statistics.query as Record<string, unknown>;
    return sendJson(res, 200, {
      kind: 'bigquery#queryResponse',
      jobComplete: true,
      totalBytesProcessed: statistics.totalBytesProcessed,
      ...(statistics.schema ? { schema: statistics.schema } : {}),
    });
  }
  const requestId = typeof body.requestId === 'string' ? body.requestId : undefined;
  const job =
    ctx.jobs.forRequest(requestId) ??
    (await ctx.jobs.insert(
      projectId,
      { configuration, jobReference: { location: body.location } },
      { ...jobFaults(req), ...(requestId ? { requestId } : {}) },
    ));
  const params = new URLSearchParams();
  if (body.maxResults !== undefined) params.set('maxResults', String(body.maxResults));
  if ((body.formatOptions as { useInt64Timestamp?: boolean } | undefined)?.useInt64Timestamp)
    params.set('formatOptions.useInt64Timestamp', 'true');
  await ctx.jobs.waitDone(job.jobReference.jobId, Number(body.timeoutMs ?? 10_000));
  const page = await resultPage(ctx, ctx.jobs.get(projectId, job.jobReference.jobId, job.jobReference.location), params);
  sendWithRows(res, { ...page.body, kind: 'bigquery#queryResponse' }, page.rows);
};

function pick(body: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
}

const getQueryResults: Handler = async (ctx, req, res) => {
  const jobId = req.segments[3]!;
  const location = req.query.get('location') ?? undefined;
  ctx.jobs.get(req.segments[1]!, jobId, location);
  await ctx.jobs.waitDone(jobId, Number(req.query.get('timeoutMs') ?? 10_000));
  const page = await resultPage(ctx, ctx.jobs.get(req.segments[1]!, jobId, location), req.query);
  sendWithRows(res, page.body, page.rows);
};

/**
 * One page of a query job's result (rows as JSON text); a failed job answers with its error, as BigQuery does. A job
 * with a destination table pages that table; a DDL job has no rows and no schema.
 */
async function resultPage(
  ctx: BigQueryContext,
  job: StoredJob,
  query: URLSearchParams,
): Promise<{ body: Record<string, unknown>; rows?: string }> {
  const base = { kind: 'bigquery#getQueryResultsResponse', jobReference: job.jobReference };
  if (job.status.state !== 'DONE') return { body: { ...base, jobComplete: false } };
  const failure = job.status.errorResult;
  if (failure) throw new GoogleHttpError(400, failure.reason, failure.message);
  const result = job.emulatorResult;
  if (!result)
    throw new GoogleHttpError(
      400,
      'invalid',
      `job ${job.jobReference.jobId} has no result: it is not a query job, or its result expired (the emulator keeps the newest 200)`,
    );
  const statistics = (job.statistics.query ?? {}) as Record<string, unknown>;
  const done = { ...base, jobComplete: true, totalBytesProcessed: String(statistics.totalBytesProcessed ?? '0'), cacheHit: false };
  if (result.schema.length === 0) return { body: { ...done, totalRows: '0' } };
  const source = await resultSource(ctx, job, result);
  const offset = offsetOf(query);
  const limit = pageRows(query);
  const format = { int64Timestamps: query.get('formatOptions.useInt64Timestamp') === 'true' };
  const rows = await ctx.catalog.exclusive((conn) => readWireRowsJson(conn, source.relation, source.schema, { offset, limit }, format));
  const next = offset + limit < source.totalRows ? { pageToken: pageTokenFor(offset + limit) } : {};
  return { body: { ...done, schema: { fields: source.schema }, totalRows: String(source.totalRows), ...next }, rows };
}

/** Where a result's rows are: the job's result table, or its destination table as it is now. */
async function resultSource(
  ctx: BigQueryContext,
  job: StoredJob,
  result: QueryResult,
): Promise<{ relation: string; schema: Field[]; totalRows: number }> {
  if (!result.table) return { relation: resultTable(job.jobReference.jobId), schema: result.schema, totalRows: result.totalRows };
  const { datasetId, tableId } = result.table;
  const meta = ctx.catalog.tables.get(tableKey(datasetId, tableId));
  if (!meta)
    throw new GoogleHttpError(
      404,
      'notFound',
      `Not found: Table ${job.jobReference.projectId}:${datasetId}.${tableId} (the job's destination table was deleted)`,
    );
  const stats = await ctx.catalog.exclusive((conn) => tableStats(conn, meta));
  return { relation: qualifiedName(datasetId, tableId), schema: meta.schema, totalRows: stats.rows };
}

function pageRows(query: URLSearchParams): number {
  return Number(query.get('maxResults') ?? DEFAULT_PAGE_ROWS) || DEFAULT_PAGE_ROWS;
}

/** Answers `body` with `rows` (JSON text of the rows array) spliced in, so a page is never parsed and re-serialized. */
function sendWithRows(res: ServerResponse, body: Record<string, unknown>, rows: string | undefined): void {
  if (rows === undefined) return sendJson(res, 200, body);
  const head = JSON.stringify(body);
  const text = `${head.slice(0, -1)},"rows":${rows}}`;
  res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * tabledata.list (https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/list): rows of a table in
 * storage order, paged by `maxResults` and `pageToken` or `startIndex`; `selectedFields` keeps the named top-level
 * columns, in the table's order.
 */
export const listTableData: Handler = async (ctx, req, res) => {
  const table = tableOf(ctx, req);
  const schema = selectFields(table.schema, req.query.get('selectedFields'));
  const totalRows = (await ctx.catalog.exclusive((conn) => tableStats(conn, table))).rows;
  const offset = offsetOf(req.query);
  const limit = pageRows(req.query);
  const format = { int64Timestamps: req.query.get('formatOptions.useInt64Timestamp') === 'true' };
  const rows = await ctx.catalog.exclusive((conn) =>
    readWireRowsJson(conn, qualifiedName(table.datasetId, table.tableId), schema, { offset, limit }, format),
  );
  const next = offset + limit < totalRows ? { pageToken: pageTokenFor(offset + limit) } : {};
  sendWithRows(res, { kind: 'bigquery#tableDataList', totalRows: String(totalRows), ...next }, rows);
};

/** The fields `selectedFields` ("a,b") names; nested paths ("a.b") are refused, the client could not match them. */
function selectFields(schema: Field[], selected: string | null): Field[] {
  if (selected === null || selected.trim() === '') return schema;
  const names = selected.split(',').map((n) => n.trim().toLowerCase());
  for (const name of names) {
    if (name.includes('.'))
      throw new GoogleHttpError(400, 'invalid', `selectedFields ${name}: the emulator selects top-level columns only`);
    if (!schema.some((f) => f.name.toLowerCase() === name))
      throw new GoogleHttpError(400, 'invalid', `selectedFields names ${name}, which is not a column of the table`);
  }
  return schema.filter((f) => names.includes(f.name.toLowerCase()));
}

/** The failJob and holdJob faults a request carries, for the job it creates. */
function jobFaults(req: BigQueryRequest): { injected?: JobError; holdMs?: number } {
  return { ...(req.injectedJobError ? { injected: req.injectedJobError } : {}), ...(req.heldJobMs ? { holdMs: req.heldJobMs } : {}) };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
