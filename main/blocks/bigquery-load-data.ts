import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Bucket, File } from '@google-cloud/storage';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';
import { bigQueryFieldFor, UnsupportedTypeError, type BigQueryField } from '../cloud/bigquery-types.ts';
import { columnNameProblem, duplicateNames } from '../cloud/bigquery-names.ts';
import { createStorageClient } from '../cloud/gcs-client.ts';
import { mergeCloudConnection } from '../connections/block-connection.ts';
import { explainGcsError } from '../cloud/gcs-export/object-transfer.ts';
import { pipelineFileSchema } from '../model/schema.ts';
import { readYamlFile, validateYaml } from '../project/yaml-file.ts';
import { renderConfig } from '../model/templating.ts';
import { gcsExport } from './gcs-export.ts';
import { utcTimestampCast, type TimestampMode } from './parquet-timestamps.ts';
import { NULL_PARTITION } from '../data/partition-names.ts';

/** What a load job reads, its explicit schema, and the rows it must end up with. */
export interface LoadData {
  /** The table's schema (partition keys included). */
  schema: BigQueryField[];
  /** Fields of `configuration.load` describing the source (`sourceUris`, `hivePartitioningOptions`, `schema`). */
  load: Record<string, unknown>;
  /** A local Parquet file to upload with the job, when not loading from gs://. */
  localFile?: string;
  /** Rows the job must report (`outputRows`); undefined when the source does not say. */
  expectedRows: number | undefined;
  bytes: number;
  /** The bucket loaded from and its location (unknown when the credential may not read the bucket's metadata). */
  bucket?: { name: string; location: string | undefined };
  /** Where the data comes from, for logs. */
  label: string;
}

/** The most URIs one load job may list; beyond this a wildcard URI is used. */
const MAX_URIS = 10_000;

/** BigQuery's schema for DuckDB columns, refusing names and types BigQuery would reject (naming the column). */
export function schemaForColumns(columns: ColumnInfo[], place: ErrorPlace, naive: 'TIMESTAMP' | 'DATETIME' = 'TIMESTAMP'): BigQueryField[] {
  for (const column of columns) {
    const problem = columnNameProblem(column.name);
    if (problem) throw new UserError(`column "${column.name}": ${problem}`, place);
  }
  const duplicates = duplicateNames(columns.map((c) => c.name));
  if (duplicates.length > 0)
    throw new UserError(`columns ${duplicates.join(', ')} differ only in case; BigQuery column names are case-insensitive`, place);
  try {
    return columns.map((c) => bigQueryFieldFor(c.name, c.type, naive));
  } catch (error) {
    if (error instanceof UnsupportedTypeError) throw new UserError(error.message, place);
    throw error;
  }
}

/** DuckDB types Parquet cannot carry the way BigQuery reads them, cast on the way out. */
function exportCast(column: ColumnInfo, timestamps: TimestampMode): string {
  const name = quoteIdent(column.name);
  const type = column.type.toUpperCase();
  if (/^(UBIGINT|HUGEINT|UHUGEINT)$/.test(type)) return `CAST(${name} AS DECIMAL(38,0)) AS ${name}`;
  if (type === 'UUID' || type.startsWith('ENUM(')) return `CAST(${name} AS VARCHAR) AS ${name}`;
  return timestamps === 'timestamp' ? utcTimestampCast(column) : name;
}

/** The upstream output written as one local Parquet file (zstd), typed so BigQuery reads every column faithfully. */
export async function uploadData(ctx: BlockContext, upstream: string, place: ErrorPlace, timestamps: TimestampMode): Promise<LoadData> {
  const described = await ctx.data.describe(upstream);
  const schema = schemaForColumns(described.columns, { ...place, path: 'upstream' }, timestamps === 'timestamp' ? 'TIMESTAMP' : 'DATETIME');
  const file = path.join(ctx.tempDir, 'bigquery-load.parquet');
  ctx.progress({ phase: 'write parquet', done: 0, total: described.rows, unit: 'rows' });
  const [written] = await ctx.data.queryRows(
    `COPY (SELECT ${described.columns.map((c) => exportCast(c, timestamps)).join(', ')} FROM ${ctx.data.relation(upstream)}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION 'zstd')`,
  );
  const rows = Number(written?.Count ?? described.rows);
  const { size } = await stat(file);
  return {
    schema,
    load: { sourceFormat: 'PARQUET', schema: { fields: schema } },
    localFile: file,
    expectedRows: rows,
    bytes: size,
    label: `${upstream} (${rows} rows uploaded as Parquet)`,
  };
}

/**
 * The Parquet objects an upstream `gcs` export block wrote, as a load from gs:// URIs. The block's config is read
 * from pipeline.yaml (rendered with this run's variables); its objects are listed with its own connection
 * settings; each carries `pipewright_rows` metadata, whose sum is the row count to verify. Hive folders become
 * columns again through CUSTOM hive partitioning, typed from their values (DATE, TIMESTAMP, INTEGER, else STRING);
 * the other columns' types come from one object's Parquet footer.
 */
export async function gcsBlockData(ctx: BlockContext, blockId: string, place: ErrorPlace): Promise<LoadData> {
  const where = { ...place, path: 'config.source.from_gcs_block' };
  if (!ctx.block.upstream.includes(blockId))
    throw new UserError(`from_gcs_block: ${blockId} must be an upstream of this block, so it runs first`, where);
  const gcs = await gcsBlockConfig(ctx, blockId, where);
  if (gcs.format !== 'parquet')
    throw new UserError(`from_gcs_block: ${blockId} writes ${gcs.format}; BigQuery loads from it need format: parquet`, where);
  const folder = gcs.partition_by ? gcs.path.replace(/\/+$/, '') + '/' : undefined;
  // The gcs block's own connection (named, else default_connections.gcs), as when it ran.
  const storage = await createStorageClient(await mergeCloudConnection(ctx, 'gcs', gcs, { block: blockId }), ctx.project.dir, {
    block: blockId,
  });
  let files: File[];
  try {
    const bucket = storage.bucket(gcs.bucket);
    files = folder ? (await bucket.getFiles({ prefix: folder }))[0].filter((f) => !f.name.endsWith('/')) : [bucket.file(gcs.path)];
    if (!folder) await files[0]!.getMetadata();
    if (files.length === 0) throw new UserError(`gs://${gcs.bucket}/${folder} holds no objects: did ${blockId} run?`, where);
    const sample = files.reduce((a, b) => (Number(a.metadata.size) <= Number(b.metadata.size) ? a : b));
    await sample.download({ destination: path.join(ctx.tempDir, 'schema-sample.parquet') });
  } catch (error) {
    throw explainGcsError(error, gcs.bucket, { block: blockId });
  }
  const fileColumns = await ctx.data.queryRows(
    `DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(path.join(ctx.tempDir, 'schema-sample.parquet'))})`,
  );
  if (folder)
    refuseEncodedFolders(
      files.map((f) => f.name.slice(folder.length)),
      gcs.bucket,
      folder,
      where,
    );
  const keys = folder ? partitionKeys(files.map((f) => f.name.slice(folder.length))) : [];
  // The files say how BigQuery reads their timestamps: UTC-adjusted → TIMESTAMP, naive → DATETIME (the gcs block's timestamps setting).
  const schema = schemaForColumns(
    [...fileColumns.map((c) => ({ name: String(c.column_name), type: String(c.column_type) })), ...keys],
    where,
    'DATETIME',
  );
  const counts = files.map((f) => (f.metadata.metadata as Record<string, unknown> | undefined)?.pipewright_rows);
  const expectedRows = counts.every((c) => c !== undefined && c !== null)
    ? counts.reduce<number>((sum, c) => sum + Number(c), 0)
    : undefined;
  const bucketLocation = await readBucketLocation(storage.bucket(gcs.bucket));
  const uris = files.length <= MAX_URIS ? files.map((f) => `gs://${gcs.bucket}/${f.name}`) : [`gs://${gcs.bucket}/${folder}*`];
  const hive =
    folder && keys.length > 0
      ? {
          hivePartitioningOptions: {
            mode: 'CUSTOM',
            sourceUriPrefix: `gs://${gcs.bucket}/${folder}${keys.map((k) => `{${k.name}:${k.bigQueryType}}`).join('/')}`,
          },
        }
      : {};
  return {
    schema,
    load: { sourceFormat: 'PARQUET', sourceUris: uris, schema: { fields: schema.slice(0, fileColumns.length) }, ...hive },
    expectedRows,
    bucket: { name: gcs.bucket, location: bucketLocation },
    bytes: files.reduce((sum, f) => sum + Number(f.metadata.size ?? 0), 0),
    label: `${files.length} object${files.length === 1 ? '' : 's'} under gs://${gcs.bucket}/${folder ?? gcs.path} (written by ${blockId})`,
  };
}

/** The bucket's location; undefined when the credential lacks storage.buckets.get (object roles only). */
async function readBucketLocation(bucket: Bucket): Promise<string | undefined> {
  try {
    return (await bucket.getMetadata())[0].location;
  } catch (error) {
    if ((error as { code?: unknown }).code === 403) return undefined;
    throw explainGcsError(error, bucket.name, {});
  }
}

async function gcsBlockConfig(ctx: BlockContext, blockId: string, where: ErrorPlace) {
  const relPath = `pipelines/${ctx.pipelineId}/pipeline.yaml`;
  const source = await readYamlFile(path.join(ctx.project.dir, relPath), relPath);
  if (!source) throw new UserError(`from_gcs_block: cannot read ${relPath} to find block ${blockId}`, where);
  const spec = validateYaml(source, pipelineFileSchema);
  const block = spec.blocks.find((b) => b.id === blockId);
  if (!block || block.type !== 'export' || block.kind !== gcsExport.kind)
    throw new UserError(`from_gcs_block: ${blockId} is not a gcs export block of this pipeline`, where);
  const parsed = gcsExport.configSchema.safeParse(renderConfig(block.config, ctx.variables));
  if (!parsed.success)
    throw new UserError(`from_gcs_block: ${blockId}'s config is invalid: ${parsed.error.issues[0]?.message ?? 'invalid'}`, where);
  return parsed.data;
}

/**
 * BigQuery takes hive folder names literally (https://cloud.google.com/bigquery/docs/hive-partitioned-loads-gcs):
 * a value the gcs block had to percent-encode (`city=New%20York`) would load as `New%20York`. Refused before the load.
 */
function refuseEncodedFolders(relativeNames: string[], bucket: string, folder: string, where: ErrorPlace): void {
  for (const name of relativeNames) {
    const encoded = name
      .split('/')
      .slice(0, -1)
      .find((segment) => segment.includes('%'));
    if (encoded) {
      throw new UserError(
        `gs://${bucket}/${folder}${encoded}/ is percent-encoded, and BigQuery reads hive folder names literally (it would load "${encoded.slice(encoded.indexOf('=') + 1)}"): partition by a column whose values are letters, digits, - _ . ~ (a date, say), or load from a single-object gcs export`,
        where,
      );
    }
  }
}

/** Hive keys of `key=value/…/file` names, with DuckDB and BigQuery types guessed from all their values. */
function partitionKeys(relativeNames: string[]): (ColumnInfo & { bigQueryType: string })[] {
  const folders = relativeNames.map((n) =>
    n
      .split('/')
      .slice(0, -1)
      .map((segment) => segment.split('=')),
  );
  const first = folders[0] ?? [];
  return first.map(([encodedName], i) => {
    const values = folders
      .map((f) => f[i]?.[1])
      .filter((v): v is string => v !== undefined && v !== NULL_PARTITION)
      .map(decodeValue);
    const bigQueryType = guessType(values);
    const type = { DATE: 'DATE', TIMESTAMP: 'TIMESTAMP', INTEGER: 'BIGINT', STRING: 'VARCHAR' }[bigQueryType]!;
    return { name: decodeValue(encodedName ?? ''), type, bigQueryType };
  });
}

function decodeValue(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not percent-encoded by us: taken literally, as BigQuery does
  }
}

function guessType(values: string[]): 'DATE' | 'TIMESTAMP' | 'INTEGER' | 'STRING' {
  if (values.length === 0) return 'STRING';
  if (values.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'DATE';
  if (values.every((v) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v))) return 'TIMESTAMP';
  if (values.every((v) => /^-?\d{1,18}$/.test(v))) return 'INTEGER';
  return 'STRING';
}
