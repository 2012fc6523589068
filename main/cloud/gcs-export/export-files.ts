import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlockSession } from '../../model/workspace-types.ts';
import { quoteIdent, quoteLiteral } from '../../data/sql-names.ts';
import { partitionSegment } from '../../data/partition-names.ts';

export type ExportFormat = 'parquet' | 'csv' | 'jsonl';
export type ExportCompression = 'zstd' | 'snappy' | 'gzip' | 'none';

/** A file written locally, with the object name it will have under the export's prefix. */
export interface LocalPart {
  localPath: string;
  /** Relative to the prefix: `col=value/part-00000.parquet`, or `''` for a single-object export. */
  relativeName: string;
  rows: number;
  bytes: number;
}

export interface ExportFilesOptions {
  /** Quoted relation of the upstream output. */
  relation: string;
  partitionBy: string[];
  format: ExportFormat;
  compression: ExportCompression;
  /** An empty local folder for the files. */
  dir: string;
  /** Inserted into part file names (`part-<tag>-00000.parquet`), e.g. to keep appended runs apart. */
  fileTag: string | undefined;
}

const PID = '__pw_partition_id';
const PARTS_TABLE = '__pw_gcs_partitions';

/** The file extension for a format and compression: `.parquet`, `.csv.gz`, `.jsonl.zst`, … */
export function extensionOf(format: ExportFormat, compression: ExportCompression): string {
  if (format === 'parquet') return '.parquet';
  return `.${format}${compression === 'gzip' ? '.gz' : compression === 'zstd' ? '.zst' : ''}`;
}

/**
 * Writes the upstream output under `dir`: one file, or one folder per distinct combination of the partition
 * columns. DuckDB partitions by a numeric id joined from a table of distinct values, so folder names are ours
 * (partition-names.ts), not DuckDB's, and the partition columns are left out of the files (BigQuery's hive loads
 * require that).
 */
export async function writeExportFiles(session: BlockSession, opts: ExportFilesOptions): Promise<LocalPart[]> {
  const options = copyOptions(opts.format, opts.compression);
  if (opts.partitionBy.length === 0) {
    const file = path.join(opts.dir, `data${extensionOf(opts.format, opts.compression)}`);
    const [result] = await session.queryRows(`COPY (SELECT * FROM ${opts.relation}) TO ${quoteLiteral(file)} (${options})`);
    return [{ localPath: file, relativeName: '', rows: Number(result?.Count ?? 0), bytes: (await stat(file)).size }];
  }
  const cols = opts.partitionBy.map(quoteIdent);
  const texts = cols.map((c, i) => `CAST(${c} AS VARCHAR) AS "__pw_text_${i}"`);
  await session.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(PARTS_TABLE)} AS
    SELECT row_number() OVER () AS ${quoteIdent(PID)}, ${cols.join(', ')}, ${texts.join(', ')}, "__pw_rows"
    FROM (SELECT ${cols.join(', ')}, count(*) AS "__pw_rows" FROM ${opts.relation} GROUP BY ALL)`);
  try {
    const partitions = await session.queryRows(`SELECT * FROM ${quoteIdent(PARTS_TABLE)} ORDER BY ${quoteIdent(PID)}`);
    const joined = `SELECT r.* EXCLUDE (${cols.join(', ')}), p.${quoteIdent(PID)} FROM ${opts.relation} r
      JOIN ${quoteIdent(PARTS_TABLE)} p ON ${cols.map((c) => `r.${c} IS NOT DISTINCT FROM p.${c}`).join(' AND ')}`;
    if (opts.format !== 'jsonl') {
      await session.run(`COPY (${joined}) TO ${quoteLiteral(opts.dir)} (${options}, PARTITION_BY (${quoteIdent(PID)}))`);
    } else {
      // DuckDB's JSON writer has no PARTITION_BY: one COPY per partition (a scan each, so slower than Parquet).
      for (const partition of partitions) {
        const folder = path.join(opts.dir, `${PID}=${String(partition[PID])}`);
        await mkdir(folder, { recursive: true });
        const only = `SELECT * EXCLUDE (${quoteIdent(PID)}) FROM (${joined}) WHERE ${quoteIdent(PID)} = ${Number(partition[PID])}`;
        await session.run(`COPY (${only}) TO ${quoteLiteral(path.join(folder, 'data_0.jsonl'))} (${options})`);
      }
    }
    const parts: LocalPart[] = [];
    for (const partition of partitions) {
      const folder = opts.partitionBy.map((name, i) => partitionSegment(name, textOrNull(partition[`__pw_text_${i}`]))).join('/');
      const files = await listFolder(path.join(opts.dir, `${PID}=${String(partition[PID])}`), folder, opts);
      // One file holds the whole partition (DuckDB's default); otherwise count each file below.
      if (files.length === 1) files[0]!.rows = Number(partition.__pw_rows);
      parts.push(...files);
    }
    return await withRowCounts(session, parts, opts.format);
  } finally {
    await session.run(`DROP TABLE IF EXISTS ${quoteIdent(PARTS_TABLE)}`);
  }
}

function copyOptions(format: ExportFormat, compression: ExportCompression): string {
  if (format === 'parquet') return `FORMAT parquet, COMPRESSION ${quoteLiteral(compression === 'none' ? 'uncompressed' : compression)}`;
  const codec = `COMPRESSION ${quoteLiteral(compression)}`;
  return format === 'csv' ? `FORMAT csv, HEADER true, ${codec}` : `FORMAT json, ${codec}`;
}

function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** `part-00000.parquet`, `part-<tag>-00001.csv.gz`: the index-th file of a partition. */
export function partFileName(fileTag: string | undefined, index: number, extension: string): string {
  return `part-${fileTag ? `${fileTag}-` : ''}${String(index).padStart(5, '0')}${extension}`;
}

/**
 * The partition folders an export of `relation` by `partitionBy` makes (`col=value/…`, named as writeExportFiles
 * names them) with their rows, in folder order; read-only.
 */
export async function partitionFolders(
  queryRows: (sql: string) => Promise<Record<string, unknown>[]>,
  relation: string,
  partitionBy: string[],
): Promise<{ name: string; rows: number }[]> {
  const cols = partitionBy.map(quoteIdent);
  const texts = cols.map((c, i) => `CAST(${c} AS VARCHAR) AS "__pw_text_${i}"`);
  const rows = await queryRows(
    `SELECT ${texts.join(', ')}, count(*)::BIGINT AS "__pw_rows" FROM ${relation} GROUP BY ALL ORDER BY ${cols.map((_c, i) => `"__pw_text_${i}"`).join(', ')}`,
  );
  return rows.map((row) => ({
    name: partitionBy.map((name, i) => partitionSegment(name, textOrNull(row[`__pw_text_${i}`]))).join('/'),
    rows: Number(row.__pw_rows),
  }));
}

/** The files DuckDB wrote for one partition, named `part-00000.parquet`, … in DuckDB's order. */
async function listFolder(dir: string, folder: string, opts: ExportFilesOptions): Promise<LocalPart[]> {
  const files = (await readdir(dir)).sort();
  const extension = extensionOf(opts.format, opts.compression);
  return Promise.all(
    files.map(async (file, index) => {
      const localPath = path.join(dir, file);
      const name = partFileName(opts.fileTag, index, extension);
      return { localPath, relativeName: `${folder}/${name}`, rows: -1, bytes: (await stat(localPath)).size };
    }),
  );
}

/** Fills in the row count of files that share a partition: from Parquet footers, or by reading CSV/JSON. */
async function withRowCounts(session: BlockSession, parts: LocalPart[], format: ExportFormat): Promise<LocalPart[]> {
  const unknown = parts.filter((p) => p.rows < 0);
  if (unknown.length === 0) return parts;
  const list = `[${unknown.map((p) => quoteLiteral(p.localPath)).join(', ')}]`;
  const sql =
    format === 'parquet'
      ? `SELECT file_name AS file, sum(num_rows)::BIGINT AS n FROM parquet_file_metadata(${list}) GROUP BY file_name`
      : `SELECT filename AS file, count(*)::BIGINT AS n FROM ${format === 'csv' ? 'read_csv' : 'read_json_auto'}(${list}, filename = true) GROUP BY filename`;
  const byFile = new Map((await session.queryRows(sql)).map((c) => [String(c.file), Number(c.n)]));
  return parts.map((p) => (p.rows < 0 ? { ...p, rows: byFile.get(p.localPath) ?? 0 } : p));
}
