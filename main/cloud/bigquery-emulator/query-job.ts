import type { DuckDBConnection } from '@duckdb/node-api';
import { GoogleHttpError } from '../http-util.ts';
import { billedBytes, checkBytesBilledLimit, estimateQuery } from './bytes-estimate.ts';
import { JobFailure, RESULTS_SCHEMA, type Catalog } from './catalog.ts';
import { dryRunDdl, runDdl } from './ddl-job.ts';
import { asJobFailure, queryStatistics, type QueryJob, type QueryOutcome, type QueryResult } from './query-common.ts';
import {
  checkDispositions,
  dropStage,
  publishStage,
  requireDataset,
  stageQuery,
  type Destination,
  type TableLayout,
} from './query-destination.ts';
import { resultField, type Field } from './schema.ts';
import { qualifiedName, quoteLiteral } from './sql.ts';
import { checkLayout, parseStatement, type Statement } from './statement.ts';

export type { QueryJob, QueryOutcome, QueryResult };

/** The quoted name of a query job's result table. */
export function resultTable(jobId: string): string {
  return qualifiedName(RESULTS_SCHEMA, jobId);
}

/**
 * Runs a query job (inside `catalog.exclusive`): parses the GoogleSQL (statement.ts), estimates the bytes it reads
 * and applies `maximumBytesBilled` before anything runs, then runs a query into the job's result table or its
 * `destinationTable` (per its dispositions), or a DDL statement (ddl-job.ts). Failures are JobFailures.
 */
export async function runQuery(
  conn: DuckDBConnection,
  catalog: Catalog,
  query: Record<string, unknown>,
  job: QueryJob,
): Promise<QueryOutcome> {
  const statement = parseJobQuery(query);
  return withDefaultDataset(conn, catalog, query, async () => {
    if (statement.kind !== 'query') {
      if (query.destinationTable) throw new JobFailure('invalid', 'Cannot set destination table in jobs with DDL statements');
      return runDdl(conn, catalog, statement, query, job);
    }
    const estimate = await asJobFailure(() => estimateQuery(conn, catalog, statement.sql));
    const billed = billedBytes(estimate);
    checkBytesBilledLimit(query, billed);
    job.signal.throwIfAborted();
    const statistics = queryStatistics('SELECT', estimate, billed);
    if (query.destinationTable) return { result: await writeDestination(conn, catalog, query, statement.sql, job), statistics };
    await asJobFailure(() => conn.run(`CREATE OR REPLACE TABLE ${resultTable(job.jobId)} AS ${statement.sql}`));
    const described = (await conn.runAndReadAll(`DESCRIBE ${resultTable(job.jobId)}`)).getRowsJS();
    const schema = described.map((r) => resultField(String(r[0]), String(r[1])));
    const counted = (await conn.runAndReadAll(`SELECT count(*) FROM ${resultTable(job.jobId)}`)).getRowsJS();
    return { result: { schema, totalRows: Number(counted[0]?.[0] ?? 0) }, statistics: { ...statistics, schema: { fields: schema } } };
  });
}

/**
 * A dry run (https://cloud.google.com/bigquery/docs/dry-run-queries): the statement is parsed and planned, not run;
 * `statistics.query` carries the bytes it would process (bytes-estimate.ts) and, for a query, its result schema.
 * Errors answer the request (400 invalidQuery, 404 notFound), as BigQuery's do.
 */
export async function dryRunQuery(
  conn: DuckDBConnection,
  catalog: Catalog,
  query: Record<string, unknown>,
  projectId: string,
): Promise<Record<string, unknown>> {
  try {
    const statement = parseJobQuery(query);
    return await withDefaultDataset(conn, catalog, query, async () => {
      if (statement.kind !== 'query') return withoutBilled(await dryRunDdl(conn, catalog, statement, query, projectId));
      const described = await asJobFailure(() => conn.runAndReadAll(`DESCRIBE ${statement.sql}`));
      const schema = described.getRowsJS().map((r) => resultField(String(r[0]), String(r[1])));
      const estimate = await estimateQuery(conn, catalog, statement.sql);
      return { ...withoutBilled(queryStatistics('SELECT', estimate, 0)), schema: { fields: schema } };
    });
  } catch (error) {
    if (error instanceof JobFailure) throw new GoogleHttpError(error.reason === 'notFound' ? 404 : 400, error.reason, error.message);
    throw error;
  }
}

/** A dry run bills nothing: its statistics carry the estimate only. */
function withoutBilled(statistics: Record<string, unknown>): Record<string, unknown> {
  const { totalBytesBilled: _notBilled, ...rest } = statistics;
  return rest;
}

function parseJobQuery(query: Record<string, unknown>): Statement {
  if (query.useLegacySql === true)
    throw new JobFailure('invalidQuery', 'legacy SQL is not supported by the emulator: set useLegacySql to false (GoogleSQL)');
  if (typeof query.query !== 'string' || query.query.trim() === '')
    throw new JobFailure('invalid', 'configuration.query.query is required');
  const text = query.query;
  try {
    return parseStatement(text);
  } catch (error) {
    if (error instanceof GoogleHttpError) throw new JobFailure(error.reason, error.message);
    throw error;
  }
}

/** Runs `fn` with unqualified table names resolved in `defaultDataset` (which must exist). */
async function withDefaultDataset<T>(
  conn: DuckDBConnection,
  catalog: Catalog,
  query: Record<string, unknown>,
  fn: () => Promise<T>,
): Promise<T> {
  const dataset = (query.defaultDataset as { datasetId?: string } | undefined)?.datasetId;
  if (!dataset) return fn();
  if (!catalog.datasets.has(dataset.toLowerCase())) throw new JobFailure('notFound', `Not found: Dataset ${dataset}`);
  await conn.run(`SET search_path = ${quoteLiteral(`${dataset},main`)}`);
  try {
    return await fn();
  } finally {
    await conn.run('RESET search_path');
  }
}

/** A query job's `destinationTable`: staged, then published per its dispositions (query-destination.ts). */
async function writeDestination(
  conn: DuckDBConnection,
  catalog: Catalog,
  query: Record<string, unknown>,
  sql: string,
  job: QueryJob,
): Promise<QueryResult> {
  const ref = query.destinationTable as Partial<Destination>;
  if (!ref.datasetId || !ref.tableId) throw new JobFailure('invalid', 'configuration.query.destinationTable needs datasetId and tableId');
  const dest = requireDataset(catalog, { projectId: ref.projectId ?? job.projectId, datasetId: ref.datasetId, tableId: ref.tableId });
  const mode = await checkDispositions(conn, catalog, dest, query);
  const staged = await asJobFailure(() => stageQuery(conn, dest, sql, job.jobId));
  try {
    const layout = layoutOf(query, staged.schema);
    await publishStage(conn, catalog, {
      dest,
      staged,
      mode: mode === 'append' ? 'append' : 'replace',
      ...(layout ? { layout } : {}),
      beforeCommit: () => job.signal.throwIfAborted(),
    });
  } finally {
    await dropStage(conn, dest, staged.stage);
  }
  return { schema: staged.schema, totalRows: staged.rows, table: { datasetId: dest.datasetId, tableId: dest.tableId } };
}

/** The partitioning and clustering a query job asks for its destination, checked against the result's schema. */
function layoutOf(query: Record<string, unknown>, schema: Field[]): TableLayout | undefined {
  const time = query.timePartitioning as { field?: string } | undefined;
  const range = query.rangePartitioning as { field?: string } | undefined;
  const clustering = query.clustering as { fields?: string[] } | undefined;
  if (!time && !range && !clustering) return undefined;
  const column = time?.field
    ? { name: time.field, types: ['DATE', 'TIMESTAMP', 'DATETIME'] }
    : range?.field
      ? { name: range.field, types: ['INTEGER'] }
      : undefined;
  try {
    checkLayout(schema, column ? { column } : undefined, clustering?.fields);
  } catch (error) {
    if (error instanceof GoogleHttpError) throw new JobFailure('invalid', error.message);
    throw error;
  }
  return {
    ...(time ? { timePartitioning: { type: 'DAY', ...time } } : {}),
    ...(range ? { rangePartitioning: range } : {}),
    ...(clustering ? { clustering } : {}),
  };
}
