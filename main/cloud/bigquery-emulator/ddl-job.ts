import type { DuckDBConnection } from '@duckdb/node-api';
import { GoogleHttpError } from '../http-util.ts';
import { billedBytes, checkBytesBilledLimit, estimateQuery, type BytesEstimate } from './bytes-estimate.ts';
import { JobFailure, tableKey, type Catalog } from './catalog.ts';
import {
  describeStage,
  dropStage,
  publishStage,
  requireDataset,
  stageQuery,
  tableLabel,
  type Destination,
  type Staged,
  type TableLayout,
} from './query-destination.ts';
import { asJobFailure, queryStatistics, type QueryJob, type QueryOutcome } from './query-common.ts';
import { storageType } from './schema.ts';
import { qualifiedName, quoteIdent } from './sql.ts';
import { checkLayout, type Statement, type TableName } from './statement.ts';

type CreateTable = Extract<Statement, { kind: 'createTable' }>;
type DropTable = Extract<Statement, { kind: 'dropTable' }>;

const NOTHING_READ: BytesEstimate = { bytes: 0, tables: [] };

/**
 * Runs CREATE TABLE or DROP TABLE (inside `catalog.exclusive`), reporting what BigQuery reports for DDL
 * (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatistics2): `statementType` (CREATE_TABLE,
 * CREATE_TABLE_AS_SELECT, DROP_TABLE), `ddlOperationPerformed` (CREATE, REPLACE, SKIP, DROP) and `ddlTargetTable`.
 * The table appears, is replaced or goes in one transaction; a failed or cancelled job leaves it as it was.
 */
export async function runDdl(
  conn: DuckDBConnection,
  catalog: Catalog,
  statement: CreateTable | DropTable,
  query: Record<string, unknown>,
  job: QueryJob,
): Promise<QueryOutcome> {
  const dest = resolveTable(catalog, statement.table, query, job.projectId);
  const existing = catalog.tables.get(tableKey(dest.datasetId, dest.tableId));
  const target = { ddlTargetTable: { projectId: dest.projectId, datasetId: dest.datasetId, tableId: dest.tableId } };
  const none = { result: { schema: [], totalRows: 0 } };
  if (statement.kind === 'dropTable') {
    const statistics = { ...queryStatistics('DROP_TABLE', NOTHING_READ, 0), ...target };
    if (!existing) {
      if (statement.ifExists) return { ...none, statistics: { ...statistics, ddlOperationPerformed: 'SKIP' } };
      throw new JobFailure('notFound', `Not found: Table ${tableLabel(dest)}`);
    }
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run(`DROP TABLE ${qualifiedName(dest.datasetId, dest.tableId)}`);
      await catalog.forget(conn, 'table', tableKey(dest.datasetId, dest.tableId));
      job.signal.throwIfAborted();
      await conn.run('COMMIT');
    } catch (error) {
      await conn.run('ROLLBACK');
      catalog.tables.set(tableKey(dest.datasetId, dest.tableId), existing);
      throw error;
    }
    return { ...none, statistics: { ...statistics, ddlOperationPerformed: 'DROP' } };
  }
  const statementType = statement.asQuery ? 'CREATE_TABLE_AS_SELECT' : 'CREATE_TABLE';
  if (existing && statement.ifNotExists)
    return { ...none, statistics: { ...queryStatistics(statementType, NOTHING_READ, 0), ...target, ddlOperationPerformed: 'SKIP' } };
  if (existing && !statement.replace) throw new JobFailure('duplicate', `Already Exists: Table ${tableLabel(dest)}`);
  const estimate = statement.asQuery ? await asJobFailure(() => estimateQuery(conn, catalog, statement.asQuery!)) : NOTHING_READ;
  const billed = billedBytes(estimate);
  checkBytesBilledLimit(query, billed);
  job.signal.throwIfAborted();
  const staged = await asJobFailure(() => stageTable(conn, dest, statement, job.jobId));
  try {
    const layout = checkedLayout(statement, staged);
    await publishStage(conn, catalog, { dest, staged, mode: 'replace', layout, beforeCommit: () => job.signal.throwIfAborted() });
  } finally {
    await dropStage(conn, dest, staged.stage);
  }
  return {
    ...none,
    statistics: { ...queryStatistics(statementType, estimate, billed), ...target, ddlOperationPerformed: existing ? 'REPLACE' : 'CREATE' },
  };
}

/** A dry run of DDL: the target's dataset must exist; CREATE TABLE … AS SELECT reports the bytes its query reads. */
export async function dryRunDdl(
  conn: DuckDBConnection,
  catalog: Catalog,
  statement: CreateTable | DropTable,
  query: Record<string, unknown>,
  projectId: string,
): Promise<Record<string, unknown>> {
  resolveTable(catalog, statement.table, query, projectId);
  if (statement.kind === 'dropTable') return queryStatistics('DROP_TABLE', NOTHING_READ, 0);
  if (!statement.asQuery) return queryStatistics('CREATE_TABLE', NOTHING_READ, 0);
  const select = statement.asQuery;
  await asJobFailure(() => conn.runAndReadAll(`DESCRIBE ${select}`));
  return queryStatistics('CREATE_TABLE_AS_SELECT', await estimateQuery(conn, catalog, select), 0);
}

/** The table a statement names, in its dataset or the job's default dataset (which must exist). */
function resolveTable(catalog: Catalog, name: TableName, query: Record<string, unknown>, projectId: string): Destination {
  const datasetId = name.datasetId ?? (query.defaultDataset as { datasetId?: string } | undefined)?.datasetId;
  if (!datasetId) throw new JobFailure('invalid', `Table "${name.tableId}" must be qualified with a dataset (e.g. dataset.table).`);
  return requireDataset(catalog, { projectId: name.projectId ?? projectId, datasetId, tableId: name.tableId });
}

/** The new table's data, staged: the AS query's result, or an empty table of the column list. */
async function stageTable(conn: DuckDBConnection, dest: Destination, statement: CreateTable, jobId: string): Promise<Staged> {
  if (statement.asQuery) return stageQuery(conn, dest, statement.asQuery, jobId);
  const stage = `_pw_stage_${jobId}`;
  const columns = statement.columns!.map((f) => `${quoteIdent(f.name)} ${storageType(f)}`).join(', ');
  await conn.run(`CREATE OR REPLACE TABLE ${qualifiedName(dest.datasetId, stage)} (${columns})`);
  const staged = await describeStage(conn, dest, stage);
  return { ...staged, schema: statement.columns! };
}

/** PARTITION BY and CLUSTER BY, checked against the new table's columns, as the table resource records them. */
function checkedLayout(statement: CreateTable, staged: Staged): TableLayout {
  try {
    checkLayout(staged.schema, statement.partitioning, statement.clustering);
  } catch (error) {
    if (error instanceof GoogleHttpError) throw new JobFailure(error.reason, error.message);
    throw error;
  }
  const partitioning = statement.partitioning;
  return {
    ...(partitioning?.timePartitioning ? { timePartitioning: partitioning.timePartitioning } : {}),
    ...(partitioning?.rangePartitioning ? { rangePartitioning: partitioning.rangePartitioning } : {}),
    ...(statement.clustering ? { clustering: { fields: statement.clustering } } : {}),
  };
}
