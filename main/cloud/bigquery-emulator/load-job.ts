import type { DuckDBConnection } from '@duckdb/node-api';
import { JobFailure, tableKey, type Catalog, type TableMeta } from './catalog.ts';
import type { SourceFile } from './gcs-files.ts';
import { readHiveLayout, type HiveLayout } from './hive-partitions.ts';
import { explicitSchema, targetSchema } from './load-schema.ts';
import { canonicalType, describeType, SchemaError, storageType, type Field } from './schema.ts';
import { qualifiedName, quoteIdent, quoteLiteral } from './sql.ts';

const FILE_COLUMN = '__pw_file';

/** What a finished load reports in `statistics.load`. */
export interface LoadResult {
  outputRows: number;
  inputFiles: number;
  inputFileBytes: number;
}

interface Destination {
  projectId: string;
  datasetId: string;
  tableId: string;
}

/**
 * Runs a load job (inside `catalog.exclusive`): reads the files with DuckDB into a staging table typed by the
 * explicit schema (or the table's, or one detected from the files), then applies the write disposition in one
 * transaction, so a failed load changes nothing. Failures are JobFailures with BigQuery's reasons.
 */
export async function runLoad(
  conn: DuckDBConnection,
  catalog: Catalog,
  load: Record<string, unknown>,
  files: SourceFile[],
): Promise<LoadResult> {
  const dest = destinationOf(load);
  if (!catalog.datasets.has(dest.datasetId.toLowerCase()))
    throw new JobFailure('notFound', `Not found: Dataset ${dest.projectId}:${dest.datasetId}`);
  const existing = catalog.tables.get(tableKey(dest.datasetId, dest.tableId));
  const write = String(load.writeDisposition ?? 'WRITE_APPEND');
  const create = String(load.createDisposition ?? 'CREATE_IF_NEEDED');
  const name = `${dest.projectId}:${dest.datasetId}.${dest.tableId}`;
  if (!existing && create === 'CREATE_NEVER') throw new JobFailure('notFound', `Not found: Table ${name}`);
  if (existing && write === 'WRITE_EMPTY' && (await countRows(conn, dest)) > 0)
    throw new JobFailure('duplicate', `Already Exists: Table ${name}`);
  const hive = load.hivePartitioningOptions ? readHiveLayout(files, load.hivePartitioningOptions as Record<string, unknown>) : undefined;
  const format = String(load.sourceFormat ?? 'CSV').toUpperCase();
  const hiveNames = new Set((hive?.keys ?? []).map((k) => k.name.toLowerCase()));
  const inFiles = explicitSchema(load)?.filter((f) => !hiveNames.has(f.name.toLowerCase()));
  const reader = readerSql(format, files, load, inFiles);
  const sourceColumns = await describeColumns(conn, reader, hive);
  const target = await targetSchema(conn, { load, format, files, existing, write, tableName: name, hive, duckColumns: sourceColumns });
  checkPartitioning(load, target);
  const stage = `_pw_load_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const stageRef = qualifiedName(dest.datasetId, stage);
  await conn.run(`CREATE TABLE ${stageRef} AS ${stagingSelect(reader, target, sourceColumns, hive, load)}`).catch((error: unknown) => {
    throw new JobFailure('invalid', `Error while reading data: ${error instanceof Error ? error.message : String(error)}`);
  });
  try {
    await checkRequired(conn, stageRef, target);
    const outputRows = await countRelation(conn, stageRef);
    await publish(conn, catalog, { dest, stage, existing, write, schema: target, load });
    return { outputRows, inputFiles: files.length, inputFileBytes: files.reduce((sum, f) => sum + f.bytes, 0) };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${stageRef}`);
  }
}

function destinationOf(load: Record<string, unknown>): Destination {
  const ref = load.destinationTable as Partial<Destination> | undefined;
  if (!ref?.datasetId || !ref.tableId) throw new JobFailure('invalid', 'configuration.load.destinationTable needs datasetId and tableId');
  return { projectId: ref.projectId ?? '', datasetId: ref.datasetId, tableId: ref.tableId };
}

async function countRows(conn: DuckDBConnection, dest: Destination): Promise<number> {
  return countRelation(conn, qualifiedName(dest.datasetId, dest.tableId));
}

async function countRelation(conn: DuckDBConnection, relation: string): Promise<number> {
  const rows = (await conn.runAndReadAll(`SELECT count(*) FROM ${relation}`)).getRowsJS();
  return Number(rows[0]?.[0] ?? 0);
}

function readerSql(format: string, files: SourceFile[], load: Record<string, unknown>, explicit: Field[] | undefined): string {
  const list = `[${files.map((f) => quoteLiteral(f.path)).join(', ')}]`;
  const common = `filename = ${quoteLiteral(FILE_COLUMN)}`;
  if (format === 'PARQUET') return `read_parquet(${list}, ${common}, union_by_name = true)`;
  if (format === 'NEWLINE_DELIMITED_JSON') {
    const columns = explicit
      ? `, columns = {${explicit.map((f) => `${quoteLiteral(f.name)}: ${quoteLiteral(duckType(f))}`).join(', ')}}`
      : '';
    return `read_json(${list}, ${common}, format = 'newline_delimited'${columns})`;
  }
  if (format === 'CSV') {
    const skip = Number(load.skipLeadingRows ?? 0);
    const delimiter = quoteLiteral(String(load.fieldDelimiter ?? ','));
    const quote = quoteLiteral(String(load.quote ?? '"'));
    const nulls = load.nullMarker !== undefined ? `, nullstr = ${quoteLiteral(String(load.nullMarker))}` : '';
    const options = `delim = ${delimiter}, quote = ${quote}${nulls}`;
    if (!explicit) return `read_csv(${list}, ${common}, ${options}, header = ${skip > 0}, skip = ${Math.max(0, skip - 1)})`;
    // With a schema, CSV columns are positional: read them as text under the schema's names, then cast.
    const columns = `{${explicit.map((f) => `${quoteLiteral(f.name)}: 'VARCHAR'`).join(', ')}}`;
    return `read_csv(${list}, ${common}, ${options}, header = false, skip = ${skip}, auto_detect = false, columns = ${columns})`;
  }
  throw new JobFailure('invalid', `sourceFormat ${format} is not supported by the emulator (PARQUET, CSV, NEWLINE_DELIMITED_JSON)`);
}

/** Columns the files hold (hive keys added), as DuckDB types them. */
async function describeColumns(
  conn: DuckDBConnection,
  reader: string,
  hive: HiveLayout | undefined,
): Promise<{ name: string; type: string }[]> {
  let described: unknown[][];
  try {
    described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`)).getRowsJS();
  } catch (error) {
    throw new JobFailure('invalid', `Error while reading data: ${error instanceof Error ? error.message : String(error)}`);
  }
  const columns = described.map((r) => ({ name: String(r[0]), type: String(r[1]) })).filter((c) => c.name !== FILE_COLUMN);
  for (const key of hive?.keys ?? []) {
    if (columns.some((c) => c.name.toLowerCase() === key.name.toLowerCase())) {
      throw new JobFailure(
        'invalid',
        `Hive partition key ${key.name} is also a column inside the files: the files must not repeat partition keys`,
      );
    }
    columns.push({ name: key.name, type: duckType({ name: key.name, type: key.type }) });
  }
  return columns;
}

/** The DuckDB type for a field, or the job fails with BigQuery's message. */
function duckType(field: Field): string {
  try {
    return storageType(field);
  } catch (error) {
    if (error instanceof SchemaError) throw new JobFailure('invalid', error.message);
    throw error;
  }
}

function checkPartitioning(load: Record<string, unknown>, schema: Field[]): void {
  const field = (load.timePartitioning as { field?: string } | undefined)?.field;
  if (field) {
    const found = schema.find((f) => f.name.toLowerCase() === field.toLowerCase());
    if (!found || !['DATE', 'TIMESTAMP', 'DATETIME'].includes(canonicalType(found.type)) || found.mode === 'REPEATED') {
      throw new JobFailure(
        'invalid',
        `The field specified for time partitioning can only be of type TIMESTAMP, DATE or DATETIME. The type found is: ${found ? describeType(found) : 'no such field'}.`,
      );
    }
  }
  for (const name of (load.clustering as { fields?: string[] } | undefined)?.fields ?? []) {
    if (!schema.some((f) => f.name.toLowerCase() === name.toLowerCase()))
      throw new JobFailure('invalid', `The field specified for clustering cannot be found in the schema. Invalid field: ${name}.`);
  }
}

/** SELECT of the target schema's columns, cast from the files' columns (and hive keys, joined by file path). */
function stagingSelect(
  reader: string,
  target: Field[],
  source: { name: string; type: string }[],
  hive: HiveLayout | undefined,
  load: Record<string, unknown>,
): string {
  const available = new Map(source.map((c) => [c.name.toLowerCase(), c.name]));
  const extra = source.filter((c) => !target.some((f) => f.name.toLowerCase() === c.name.toLowerCase()));
  if (extra.length > 0 && load.ignoreUnknownValues !== true) {
    throw new JobFailure(
      'invalid',
      `Error while reading data: column${extra.length > 1 ? 's' : ''} ${extra.map((c) => c.name).join(', ')} in the data ${extra.length > 1 ? 'are' : 'is'} not in the table schema`,
    );
  }
  const columns = target.map((field) => {
    const from = available.get(field.name.toLowerCase());
    const value =
      from === undefined ? 'NULL' : asListRecord(`r.${quoteIdent(from)}`, field, source.find((c) => c.name === from)?.type ?? '');
    return `CAST(${value} AS ${duckType(field)}) AS ${quoteIdent(field.name)}`;
  });
  if (!hive || hive.keys.length === 0) return `SELECT ${columns.join(', ')} FROM ${reader} AS r`;
  const rows = [...hive.values].map(
    ([file, values]) => `(${[file, ...values].map((v) => (v === null ? 'NULL' : quoteLiteral(v))).join(', ')})`,
  );
  const names = [FILE_COLUMN, ...hive.keys.map((k) => k.name)].map(quoteIdent).join(', ');
  const keyCasts = hive.keys.map(
    (k) => `CAST(p.${quoteIdent(k.name)} AS ${duckType({ name: k.name, type: k.type })}) AS ${quoteIdent(k.name)}`,
  );
  const joined = `SELECT f.* EXCLUDE (${quoteIdent(FILE_COLUMN)}), ${keyCasts.join(', ')} FROM ${reader} AS f
    JOIN (VALUES ${rows.join(', ')}) AS p(${names}) ON f.${quoteIdent(FILE_COLUMN)} = p.${quoteIdent(FILE_COLUMN)}`;
  return `SELECT ${columns.join(', ')} FROM (${joined}) AS r`;
}

/** Without list inference a Parquet LIST loads as RECORD<list REPEATED RECORD<element>>: DuckDB reads it as a list. */
function asListRecord(value: string, field: Field, duckType: string): string {
  const isListRecord = canonicalType(field.type) === 'RECORD' && field.fields?.length === 1 && field.fields[0]!.name === 'list';
  return isListRecord && duckType.endsWith('[]') ? `{'list': list_transform(${value}, x -> {'element': x})}` : value;
}

async function checkRequired(conn: DuckDBConnection, stageRef: string, schema: Field[]): Promise<void> {
  for (const field of schema.filter((f) => f.mode === 'REQUIRED')) {
    const nulls = (await conn.runAndReadAll(`SELECT count(*) FROM ${stageRef} WHERE ${quoteIdent(field.name)} IS NULL`)).getRowsJS();
    if (Number(nulls[0]?.[0] ?? 0) > 0) throw new JobFailure('invalid', `Required field ${field.name} cannot be null`);
  }
}

/** Moves the staged rows into place per the write disposition, with the table's metadata, in one transaction. */
async function publish(
  conn: DuckDBConnection,
  catalog: Catalog,
  args: {
    dest: Destination;
    stage: string;
    existing: TableMeta | undefined;
    write: string;
    schema: Field[];
    load: Record<string, unknown>;
  },
): Promise<void> {
  const { dest, stage, existing } = args;
  const table = qualifiedName(dest.datasetId, dest.tableId);
  const now = Date.now();
  await conn.run('BEGIN TRANSACTION');
  try {
    if (existing && args.write === 'WRITE_APPEND') {
      await conn.run(`INSERT INTO ${table} BY NAME SELECT * FROM ${qualifiedName(dest.datasetId, stage)}`);
      await catalog.save(conn, 'table', tableKey(dest.datasetId, dest.tableId), { ...existing, modified: now });
    } else {
      await conn.run(`DROP TABLE IF EXISTS ${table}`);
      await conn.run(`ALTER TABLE ${qualifiedName(dest.datasetId, stage)} RENAME TO ${quoteIdent(dest.tableId)}`);
      const meta: TableMeta = {
        projectId: dest.projectId,
        datasetId: dest.datasetId,
        tableId: dest.tableId,
        schema: args.schema,
        created: existing?.created ?? now,
        modified: now,
        ...(args.load.timePartitioning
          ? { timePartitioning: args.load.timePartitioning as Record<string, unknown> }
          : existing?.timePartitioning
            ? { timePartitioning: existing.timePartitioning }
            : {}),
        ...(args.load.clustering
          ? { clustering: args.load.clustering as Record<string, unknown> }
          : existing?.clustering
            ? { clustering: existing.clustering }
            : {}),
      };
      await catalog.save(conn, 'table', tableKey(dest.datasetId, dest.tableId), meta);
    }
    await conn.run('COMMIT');
  } catch (error) {
    await conn.run('ROLLBACK');
    throw error;
  }
}
