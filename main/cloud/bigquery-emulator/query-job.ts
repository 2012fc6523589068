import type { DuckDBConnection } from '@duckdb/node-api';
import { qualifiedName, quoteLiteral } from '../../data/sql-names.ts';
import { bigQueryFieldFor, UnsupportedTypeError, type BigQueryField } from '../bigquery-types.ts';
import { GoogleHttpError } from '../http-util.ts';
import { JobFailure, RESULTS_SCHEMA, type Catalog } from './catalog.ts';
import { translateQuery } from './query-sql.ts';

/** A finished query's result: kept as a table in `_emulator_results`, named after the job. */
export interface QueryResult {
  schema: BigQueryField[];
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
 * A result column's BigQuery type. Closer to what BigQuery reports than the export mapping: DuckDB's SUM of
 * integers is HUGEINT (BigQuery: INT64), of decimals DECIMAL(38,s) (BigQuery: NUMERIC); types BigQuery lacks
 * come back as STRING.
 */
function resultField(name: string, duckType: string): BigQueryField {
  if (/^U?HUGEINT$|^UBIGINT$/i.test(duckType)) return { name, type: 'INTEGER', mode: 'NULLABLE' };
  const decimal = /^DECIMAL\(\d+,\s*(\d+)\)$/i.exec(duckType);
  if (decimal && Number(decimal[1]) <= 9) return { name, type: 'NUMERIC', mode: 'NULLABLE' };
  try {
    return bigQueryFieldFor(name, duckType);
  } catch (error) {
    if (error instanceof UnsupportedTypeError) return { name, type: 'STRING', mode: 'NULLABLE' };
    throw error;
  }
}
