import type { DuckDBConnection } from '@duckdb/node-api';
import { GoogleHttpError } from '../http-util.ts';
import { JobFailure, RESULTS_SCHEMA, type Catalog } from './catalog.ts';
import { translateQuery } from './query-sql.ts';
import { resultField, type Field } from './schema.ts';
import { qualifiedName, quoteLiteral } from './sql.ts';

/** A finished query's result: kept as a table in `_emulator_results`, named after the job. */
export interface QueryResult {
  schema: Field[];
  totalRows: number;
}

/** The quoted name of a query job's result table. */
export function resultTable(jobId: string): string {
  return qualifiedName(RESULTS_SCHEMA, jobId);
}

/**
 * Runs a query job (inside `catalog.exclusive`): translates the GoogleSQL (query-sql.ts), runs it with DuckDB into
 * the job's result table, and reports the result's BigQuery schema. `defaultDataset` lets the query name tables
 * without their dataset.
 */
export async function runQuery(conn: DuckDBConnection, catalog: Catalog, query: Record<string, unknown>, jobId: string): Promise<QueryResult> {
  if (query.useLegacySql === true) throw new JobFailure('invalidQuery', 'legacy SQL is not supported by the emulator: set useLegacySql to false (GoogleSQL)');
  if (typeof query.query !== 'string' || query.query.trim() === '') throw new JobFailure('invalid', 'configuration.query.query is required');
  let sql: string;
  try {
    sql = translateQuery(query.query);
  } catch (error) {
    if (error instanceof GoogleHttpError) throw new JobFailure(error.reason, error.message);
    throw error;
  }
  const dataset = (query.defaultDataset as { datasetId?: string } | undefined)?.datasetId;
  if (dataset && !catalog.datasets.has(dataset.toLowerCase())) throw new JobFailure('notFound', `Not found: Dataset ${dataset}`);
  try {
    if (dataset) await conn.run(`SET search_path = ${quoteLiteral(`${dataset},main`)}`);
    await conn.run(`CREATE OR REPLACE TABLE ${resultTable(jobId)} AS ${sql}`);
  } catch (error) {
    throw new JobFailure('invalidQuery', error instanceof Error ? error.message : String(error));
  } finally {
    if (dataset) await conn.run('RESET search_path');
  }
  const described = (await conn.runAndReadAll(`DESCRIBE ${resultTable(jobId)}`)).getRowsJS();
  const schema = described.map((r) => resultField(String(r[0]), String(r[1])));
  const counted = (await conn.runAndReadAll(`SELECT count(*) FROM ${resultTable(jobId)}`)).getRowsJS();
  return { schema, totalRows: Number(counted[0]?.[0] ?? 0) };
}

/**
 * A dry run (https://cloud.google.com/bigquery/docs/dry-run-queries): the query is checked without running, and the
 * bytes it would read are estimated as 8 bytes per cell of each table it names (BigQuery's own figure depends on
 * column types and pruning; this one only has to be non-zero and grow with the tables).
 */
export async function dryRunQuery(conn: DuckDBConnection, catalog: Catalog, query: Record<string, unknown>): Promise<number> {
  if (query.useLegacySql === true) throw new GoogleHttpError(400, 'invalidQuery', 'legacy SQL is not supported by the emulator: set useLegacySql to false (GoogleSQL)');
  const text = typeof query.query === 'string' ? query.query : '';
  const sql = translateQuery(text);
  const dataset = (query.defaultDataset as { datasetId?: string } | undefined)?.datasetId;
  try {
    if (dataset) await conn.run(`SET search_path = ${quoteLiteral(`${dataset},main`)}`);
    await conn.runAndReadAll(`DESCRIBE ${sql}`);
  } catch (error) {
    throw new GoogleHttpError(400, 'invalidQuery', error instanceof Error ? error.message : String(error));
  } finally {
    if (dataset) await conn.run('RESET search_path');
  }
  let bytes = 0;
  const lower = text.toLowerCase();
  for (const table of catalog.tables.values()) {
    if (!lower.includes(table.tableId.toLowerCase())) continue;
    const rows = (await conn.runAndReadAll(`SELECT count(*) FROM ${qualifiedName(table.datasetId, table.tableId)}`)).getRowsJS();
    bytes += Number(rows[0]?.[0] ?? 0) * table.schema.length * 8;
  }
  return bytes;
}
