import type { ServerResponse } from 'node:http';
import { GoogleHttpError, parseJsonBody, sendJson } from '../http-util.ts';
import { META_SCHEMA, RESULTS_SCHEMA, tableKey, type Catalog, type DatasetMeta, type JobError, type TableMeta } from './catalog.ts';
import type { BigQueryOperation } from './faults.ts';
import { jobRoute, listTableData } from './job-routes.ts';
import type { JobRunner } from './jobs.ts';
import { datasetResource, tableResource } from './resources.ts';
import type { ResumableUploads } from './resumable-upload.ts';
import { normaliseField, SchemaError, storageType, type Field } from './schema.ts';
import { qualifiedName, quoteIdent } from './sql.ts';
import { tableStats, totalBytes } from './table-stats.ts';

/** A request as the routes see it: path segments after `/bigquery/v2` (or `/upload/bigquery/v2`), body read. */
export interface BigQueryRequest {
  method: string;
  segments: string[];
  isUpload: boolean;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** A failJob fault: the job this request creates ends with this errorResult. */
  injectedJobError?: JobError;
  /** A holdJob fault: the job this request creates stays RUNNING this long before it starts. */
  heldJobMs?: number;
}

export interface BigQueryContext {
  catalog: Catalog;
  jobs: JobRunner;
  uploads: ResumableUploads;
  /** Where multipart upload bodies are written before their job reads them. */
  uploadsDir: string;
  /** `http://127.0.0.1:<port>`: resumable session URIs must be absolute. */
  baseUrl: string;
}

export type Handler = (ctx: BigQueryContext, req: BigQueryRequest, res: ServerResponse) => Promise<void>;
export type Route = { operation: BigQueryOperation; handler: Handler };

/** The operation a request performs (for fault rules) and its handler; undefined when no route matches. */
export function route(req: Pick<BigQueryRequest, 'method' | 'segments' | 'isUpload' | 'query'>): Route | undefined {
  const s = req.segments;
  if (s[0] !== 'projects' || s.length < 3) return undefined;
  if (req.isUpload || s[2] === 'jobs' || s[2] === 'queries') return jobRoute(req);
  if (s[2] !== 'datasets') return undefined;
  const m = req.method;
  if (s.length === 3)
    return m === 'GET'
      ? { operation: 'datasets.list', handler: listDatasets }
      : m === 'POST'
        ? { operation: 'datasets.insert', handler: insertDataset }
        : undefined;
  if (s.length === 4)
    return m === 'GET'
      ? { operation: 'datasets.get', handler: getDataset }
      : m === 'DELETE'
        ? { operation: 'datasets.delete', handler: deleteDataset }
        : undefined;
  if (s[4] !== 'tables') return undefined;
  if (s.length === 5)
    return m === 'GET'
      ? { operation: 'tables.list', handler: listTables }
      : m === 'POST'
        ? { operation: 'tables.insert', handler: insertTable }
        : undefined;
  if (s.length === 6)
    return m === 'GET'
      ? { operation: 'tables.get', handler: getTable }
      : m === 'DELETE'
        ? { operation: 'tables.delete', handler: deleteTable }
        : undefined;
  if (s.length === 7 && s[6] === 'data' && m === 'GET') return { operation: 'tabledata.list', handler: listTableData };
  return undefined;
}

const RESERVED = new Set([META_SCHEMA, RESULTS_SCHEMA, 'main', 'information_schema', 'pg_catalog', 'temp']);

/** The dataset of a request (404 when missing). */
export function datasetOf(ctx: BigQueryContext, req: BigQueryRequest): DatasetMeta {
  const id = req.segments[3] ?? '';
  const found = ctx.catalog.datasets.get(id.toLowerCase());
  if (!found) throw new GoogleHttpError(404, 'notFound', `Not found: Dataset ${req.segments[1]}:${id}`);
  return found;
}

/** The table of a request (404 when missing). */
export function tableOf(ctx: BigQueryContext, req: BigQueryRequest): TableMeta {
  const dataset = datasetOf(ctx, req);
  const found = ctx.catalog.tables.get(tableKey(dataset.datasetId, req.segments[5] ?? ''));
  if (!found) throw new GoogleHttpError(404, 'notFound', `Not found: Table ${req.segments[1]}:${dataset.datasetId}.${req.segments[5]}`);
  return found;
}

const listDatasets: Handler = async (ctx, _req, res) => {
  const datasets = [...ctx.catalog.datasets.values()].sort((a, b) => a.datasetId.localeCompare(b.datasetId));
  sendJson(res, 200, {
    kind: 'bigquery#datasetList',
    datasets: datasets.map((d) => ({
      kind: 'bigquery#dataset',
      id: `${d.projectId}:${d.datasetId}`,
      datasetReference: { projectId: d.projectId, datasetId: d.datasetId },
      location: d.location,
    })),
  });
};

const insertDataset: Handler = async (ctx, req, res) => {
  const body = parseJsonBody(req.body);
  const datasetId = String((body.datasetReference as { datasetId?: string } | undefined)?.datasetId ?? '');
  if (!/^[A-Za-z0-9_]{1,1024}$/.test(datasetId))
    throw new GoogleHttpError(
      400,
      'invalid',
      `Invalid dataset ID "${datasetId}". Dataset IDs must be alphanumeric (plus underscores) and must be at most 1024 characters long.`,
    );
  if (RESERVED.has(datasetId.toLowerCase()))
    throw new GoogleHttpError(400, 'invalid', `Dataset ID "${datasetId}" is reserved by the emulator's DuckDB file; choose another name`);
  const meta: DatasetMeta = {
    projectId: req.segments[1]!,
    datasetId,
    location: typeof body.location === 'string' ? body.location : 'US',
    created: Date.now(),
  };
  await ctx.catalog.exclusive(async (conn) => {
    if (ctx.catalog.datasets.has(datasetId.toLowerCase()))
      throw new GoogleHttpError(409, 'duplicate', `Already Exists: Dataset ${meta.projectId}:${datasetId}`);
    await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(datasetId)}`);
    await ctx.catalog.save(conn, 'dataset', datasetId.toLowerCase(), meta);
  });
  sendJson(res, 200, datasetResource(meta));
};

const getDataset: Handler = async (ctx, req, res) => {
  sendJson(res, 200, datasetResource(datasetOf(ctx, req)));
};

const deleteDataset: Handler = async (ctx, req, res) => {
  const dataset = datasetOf(ctx, req);
  const tables = [...ctx.catalog.tables.entries()].filter(([, t]) => t.datasetId.toLowerCase() === dataset.datasetId.toLowerCase());
  if (tables.length > 0 && req.query.get('deleteContents') !== 'true') {
    throw new GoogleHttpError(400, 'resourceInUse', `Dataset ${dataset.projectId}:${dataset.datasetId} is still in use`);
  }
  await ctx.catalog.exclusive(async (conn) => {
    await conn.run(`DROP SCHEMA IF EXISTS ${quoteIdent(dataset.datasetId)} CASCADE`);
    for (const [key] of tables) await ctx.catalog.forget(conn, 'table', key);
    await ctx.catalog.forget(conn, 'dataset', dataset.datasetId.toLowerCase());
  });
  res.writeHead(204).end();
};

const listTables: Handler = async (ctx, req, res) => {
  const dataset = datasetOf(ctx, req);
  const tables = [...ctx.catalog.tables.values()]
    .filter((t) => t.datasetId.toLowerCase() === dataset.datasetId.toLowerCase())
    .sort((a, b) => a.tableId.localeCompare(b.tableId));
  sendJson(res, 200, {
    kind: 'bigquery#tableList',
    totalItems: tables.length,
    tables: tables.map((t) => ({
      kind: 'bigquery#table',
      id: `${t.projectId}:${t.datasetId}.${t.tableId}`,
      tableReference: { projectId: t.projectId, datasetId: t.datasetId, tableId: t.tableId },
      type: 'TABLE',
    })),
  });
};

const insertTable: Handler = async (ctx, req, res) => {
  const dataset = datasetOf(ctx, req);
  const body = parseJsonBody(req.body);
  const tableId = String((body.tableReference as { tableId?: string } | undefined)?.tableId ?? '');
  if (!/^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]+$/u.test(tableId) || Buffer.byteLength(tableId) > 1024)
    throw new GoogleHttpError(400, 'invalid', `Invalid table ID "${tableId}".`);
  const fields = ((body.schema as { fields?: Field[] } | undefined)?.fields ?? []).map(normaliseField);
  if (fields.length === 0)
    throw new GoogleHttpError(400, 'invalid', 'the emulator needs a schema to create a table (tables without columns are not supported)');
  let columns: string;
  try {
    columns = fields.map((f) => `${quoteIdent(f.name)} ${storageType(f)}`).join(', ');
  } catch (error) {
    if (error instanceof SchemaError) throw new GoogleHttpError(400, 'invalid', error.message);
    throw error;
  }
  const now = Date.now();
  const meta: TableMeta = {
    projectId: req.segments[1]!,
    datasetId: dataset.datasetId,
    tableId,
    schema: fields,
    created: now,
    modified: now,
    ...(body.timePartitioning ? { timePartitioning: body.timePartitioning as Record<string, unknown> } : {}),
    ...(body.clustering ? { clustering: body.clustering as Record<string, unknown> } : {}),
  };
  await ctx.catalog.exclusive(async (conn) => {
    if (ctx.catalog.tables.has(tableKey(dataset.datasetId, tableId)))
      throw new GoogleHttpError(409, 'duplicate', `Already Exists: Table ${meta.projectId}:${dataset.datasetId}.${tableId}`);
    await conn.run(`CREATE TABLE ${qualifiedName(dataset.datasetId, tableId)} (${columns})`);
    await ctx.catalog.save(conn, 'table', tableKey(dataset.datasetId, tableId), meta);
  });
  sendJson(res, 200, tableResource(meta, 0, dataset.location));
};

/** tables.get: `numRows` and `numBytes` (logical bytes, table-stats.ts) as the data is now. */
const getTable: Handler = async (ctx, req, res) => {
  const table = tableOf(ctx, req);
  const stats = await ctx.catalog.exclusive((conn) => tableStats(conn, table));
  sendJson(res, 200, tableResource(table, stats.rows, datasetOf(ctx, req).location, totalBytes(stats)));
};

const deleteTable: Handler = async (ctx, req, res) => {
  const table = tableOf(ctx, req);
  await ctx.catalog.exclusive(async (conn) => {
    await conn.run(`DROP TABLE IF EXISTS ${qualifiedName(table.datasetId, table.tableId)}`);
    await ctx.catalog.forget(conn, 'table', tableKey(table.datasetId, table.tableId));
  });
  res.writeHead(204).end();
};
