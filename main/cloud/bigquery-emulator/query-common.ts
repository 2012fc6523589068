import { GoogleHttpError } from '../http-util.ts';
import type { BytesEstimate } from './bytes-estimate.ts';
import { JobFailure } from './catalog.ts';
import type { Field } from './schema.ts';

/** What query jobs and DDL jobs share: the job they run for, what they report, and how DuckDB errors read. */

/**
 * A finished query's result: kept as a table in `_emulator_results` named after the job or, for a job with a
 * destination table, read from that table.
 */
export interface QueryResult {
  schema: Field[];
  totalRows: number;
  table?: { datasetId: string; tableId: string };
}

/** The job a query runs for: its project and id, and the signal jobs.cancel aborts. */
export interface QueryJob {
  projectId: string;
  jobId: string;
  signal: AbortSignal;
}

/** The result and `statistics.query` of a finished query job. */
export interface QueryOutcome {
  result: QueryResult;
  statistics: Record<string, unknown>;
}

/** `statistics.query` of a job that read `estimate` (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatistics2). */
export function queryStatistics(statementType: string, estimate: BytesEstimate, billed: number): Record<string, unknown> {
  return {
    statementType,
    totalBytesProcessed: String(estimate.bytes),
    totalBytesBilled: String(billed),
    cacheHit: false,
    referencedTables: estimate.tables.map((t) => ({ projectId: t.meta.projectId, datasetId: t.meta.datasetId, tableId: t.meta.tableId })),
  };
}

/** Runs `fn`; a DuckDB error becomes the job's invalidQuery (notFound for a missing table), BigQuery's reasons. */
export async function asJobFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof JobFailure) throw error;
    if (error instanceof GoogleHttpError) throw new JobFailure(error.reason, error.message);
    const message = error instanceof Error ? error.message : String(error);
    const missing = /Table with name (\S+) does not exist/.exec(message);
    if (missing) throw new JobFailure('notFound', `Not found: Table ${missing[1]} (${message.split('\n')[0]})`);
    throw new JobFailure('invalidQuery', message);
  }
}
