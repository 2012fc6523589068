import type { DuckDBConnection } from '@duckdb/node-api';
import { JobFailure, tableKey, type Catalog, type TableMeta } from './catalog.ts';
import { resultField, schemaMismatch, type Field } from './schema.ts';
import { qualifiedName, quoteIdent } from './sql.ts';
import { tableStats } from './table-stats.ts';

/** A table a query job writes. */
export interface Destination {
  projectId: string;
  datasetId: string;
  tableId: string;
}

/** Partitioning and clustering as the table resource records them. */
export interface TableLayout {
  timePartitioning?: Record<string, unknown>;
  rangePartitioning?: Record<string, unknown>;
  clustering?: Record<string, unknown>;
}

/** A query result staged beside its destination, not yet visible (tables.list shows catalog tables only). */
export interface Staged {
  stage: string;
  schema: Field[];
  rows: number;
}

/**
 * The destination with its dataset spelled as created (ids are case-insensitive here); the job fails with BigQuery's
 * notFound when the dataset is missing, or `invalid` for a table id BigQuery would refuse
 * (https://cloud.google.com/bigquery/docs/tables#table_naming).
 */
export function requireDataset(catalog: Catalog, dest: Destination): Destination {
  const dataset = catalog.datasets.get(dest.datasetId.toLowerCase());
  if (!dataset) throw new JobFailure('notFound', `Not found: Dataset ${dest.projectId}:${dest.datasetId}`);
  if (!/^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]+$/u.test(dest.tableId) || Buffer.byteLength(dest.tableId) > 1024)
    throw new JobFailure('invalid', `Invalid table ID "${dest.tableId}".`);
  if (dest.tableId.startsWith('_pw_stage_'))
    throw new JobFailure('invalid', `Table ID "${dest.tableId}" is reserved by the emulator for staging; choose another name`);
  return { ...dest, datasetId: dataset.datasetId };
}

/** `p:d.t`, as BigQuery's messages name a table. */
export function tableLabel(dest: Destination): string {
  return `${dest.projectId}:${dest.datasetId}.${dest.tableId}`;
}

/** Runs `select` (DuckDB SQL) into a staging table in the destination's dataset. */
export async function stageQuery(conn: DuckDBConnection, dest: Destination, select: string, jobId: string): Promise<Staged> {
  const stage = `_pw_stage_${jobId}`;
  await conn.run(`CREATE OR REPLACE TABLE ${qualifiedName(dest.datasetId, stage)} AS ${select}`);
  return describeStage(conn, dest, stage);
}

/** The schema and row count of a staging table. */
export async function describeStage(conn: DuckDBConnection, dest: Destination, stage: string): Promise<Staged> {
  const described = (await conn.runAndReadAll(`DESCRIBE ${qualifiedName(dest.datasetId, stage)}`)).getRowsJS();
  const counted = (await conn.runAndReadAll(`SELECT count(*) FROM ${qualifiedName(dest.datasetId, stage)}`)).getRowsJS();
  return { stage, schema: described.map((r) => resultField(String(r[0]), String(r[1]))), rows: Number(counted[0]?.[0] ?? 0) };
}

export async function dropStage(conn: DuckDBConnection, dest: Destination, stage: string): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${qualifiedName(dest.datasetId, stage)}`);
}

/**
 * Checks a query's write and create dispositions against the destination before it runs
 * (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationQuery): CREATE_NEVER needs the table;
 * WRITE_EMPTY, the default for query jobs, refuses a table that holds data with a `duplicate` error.
 */
export async function checkDispositions(
  conn: DuckDBConnection,
  catalog: Catalog,
  dest: Destination,
  query: Record<string, unknown>,
): Promise<'truncate' | 'append'> {
  const write = String(query.writeDisposition ?? 'WRITE_EMPTY');
  const create = String(query.createDisposition ?? 'CREATE_IF_NEEDED');
  if (!['WRITE_TRUNCATE', 'WRITE_APPEND', 'WRITE_EMPTY'].includes(write))
    throw new JobFailure('invalid', `Invalid value for writeDisposition: ${write} (WRITE_TRUNCATE, WRITE_APPEND or WRITE_EMPTY)`);
  if (!['CREATE_IF_NEEDED', 'CREATE_NEVER'].includes(create))
    throw new JobFailure('invalid', `Invalid value for createDisposition: ${create} (CREATE_IF_NEEDED or CREATE_NEVER)`);
  const existing = catalog.tables.get(tableKey(dest.datasetId, dest.tableId));
  if (!existing && create === 'CREATE_NEVER') throw new JobFailure('notFound', `Not found: Table ${tableLabel(dest)}`);
  if (existing && write === 'WRITE_EMPTY' && (await tableStats(conn, existing)).rows > 0)
    throw new JobFailure('duplicate', `Already Exists: Table ${tableLabel(dest)}`);
  return write === 'WRITE_APPEND' ? 'append' : 'truncate';
}

/**
 * Makes a staged result the destination's data in one transaction, so a failed or cancelled job changes nothing:
 * `replace` puts the staged table (its schema, and `layout` or the old table's) in place of the old one; `append`
 * inserts its rows, which must fit the table's schema. `beforeCommit` may still throw (a cancel) to roll back.
 */
export async function publishStage(
  conn: DuckDBConnection,
  catalog: Catalog,
  args: { dest: Destination; staged: Staged; mode: 'replace' | 'append'; layout?: TableLayout; beforeCommit?: () => void },
): Promise<void> {
  const { dest, staged } = args;
  const key = tableKey(dest.datasetId, dest.tableId);
  const existing = catalog.tables.get(key);
  const now = Date.now();
  if (args.mode === 'append' && existing) {
    const mismatch = schemaMismatch(staged.schema, existing.schema);
    if (mismatch) throw new JobFailure('invalid', `Invalid schema update. ${mismatch}`);
  }
  await conn.run('BEGIN TRANSACTION');
  try {
    if (args.mode === 'append' && existing) {
      await conn.run(
        `INSERT INTO ${qualifiedName(dest.datasetId, dest.tableId)} BY NAME SELECT * FROM ${qualifiedName(dest.datasetId, staged.stage)}`,
      );
      await conn.run(`DROP TABLE ${qualifiedName(dest.datasetId, staged.stage)}`);
      await catalog.save(conn, 'table', key, { ...existing, modified: now });
    } else {
      await conn.run(`DROP TABLE IF EXISTS ${qualifiedName(dest.datasetId, dest.tableId)}`);
      await conn.run(`ALTER TABLE ${qualifiedName(dest.datasetId, staged.stage)} RENAME TO ${quoteIdent(dest.tableId)}`);
      const layout = args.layout ?? layoutOf(existing);
      const meta: TableMeta = {
        projectId: dest.projectId,
        datasetId: dest.datasetId,
        tableId: dest.tableId,
        schema: staged.schema,
        created: existing?.created ?? now,
        modified: now,
        ...layout,
      };
      await catalog.save(conn, 'table', key, meta);
    }
    args.beforeCommit?.();
    await conn.run('COMMIT');
  } catch (error) {
    await conn.run('ROLLBACK');
    // The in-memory catalog took the new metadata inside the transaction: put the old one back.
    if (existing) catalog.tables.set(key, existing);
    else catalog.tables.delete(key);
    throw error;
  }
}

function layoutOf(table: TableMeta | undefined): TableLayout {
  if (!table) return {};
  return {
    ...(table.timePartitioning ? { timePartitioning: table.timePartitioning } : {}),
    ...(table.rangePartitioning ? { rangePartitioning: table.rangePartitioning } : {}),
    ...(table.clustering ? { clustering: table.clustering } : {}),
  };
}
