import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import { checkAllowedPath } from '../project/allowed-paths.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';
import {
  buildReadSql,
  checkOptionsFitFormat,
  findRaggedLine,
  parseCsvError,
  raggedColumn,
  readerOptionFields,
  readLeadingLines,
  resolveFormat,
  splitCsvFields,
  type CsvReadFailure,
  type FileFormat,
  type ReaderOptions,
  type RejectTables,
  formatHint,
} from './file-formats.ts';
import { localFileColumns } from './file-design-schema.ts';
import { checkFilesBeforeRead, findLongLine, findUnterminatedQuote } from './file-checks.ts';
import { estimateCsvRows, reportQueryProgress } from './query-progress-report.ts';
import { canPublishFileView, publishFileView } from './file-view-source.ts';

const configSchema = z.strictObject({
  /** A file or a glob (`data/*.csv`, `data/**\/*.parquet`), relative to the project folder or absolute. */
  path: z.string().min(1),
  ...readerOptionFields,
});
type LocalFileConfig = z.infer<typeof configSchema>;

/** A file DuckDB reads, and the name the user knows it by (a URL, or a path as written in the project). */
export interface SourceFile {
  path: string;
  display: string;
}

/** Reads local CSV, Parquet or JSON files (one file or a glob) into the block's output. */
export const localFileSource: BlockKind<LocalFileConfig> = {
  type: 'source',
  kind: 'local_file',
  title: 'Local file (CSV, Parquet, JSON)',
  configSchema,
  code: 'none',
  async run(ctx, config) {
    const files = await resolveLocalFiles(ctx, config.path);
    const sizes = await Promise.all(files.map(async (f) => (await stat(f.path)).size));
    ctx.log('info', `reading ${files.length === 1 ? files[0]?.display : `${files.length} files matching ${config.path}`}`);
    const { rows: rowsOut } = await readFilesIntoOutput(ctx, files, config);
    return { rowsOut, bytes: sizes.reduce((a, b) => a + b, 0), hasOutput: true };
  },
  designSchema: (ctx, config) => localFileColumns(ctx, config.path, config),
};

/** The files a path or glob names, sorted; a UserError names the path when nothing matches. */
async function resolveLocalFiles(ctx: BlockContext, pattern: string): Promise<SourceFile[]> {
  const absolute = path.resolve(ctx.project.dir, pattern);
  const place = { block: ctx.block.id, path: 'config.path' };
  checkAllowedPath(ctx.project, staticPrefix(absolute), place, 'read');
  if (!/[*?[{]/.test(pattern)) {
    const info = await stat(absolute).catch(() => undefined);
    if (!info) throw new UserError(`file not found: ${pattern} (looked in ${path.dirname(absolute)})`, place);
    if (info.isDirectory()) throw new UserError(`${pattern} is a folder: name a file, or a glob such as ${pattern}/*.csv`, place);
    return [{ path: absolute, display: displayName(ctx, absolute) }];
  }
  // DuckDB's own glob, so the files matched are exactly those its readers would match.
  const rows = await ctx.data.queryRows(`SELECT file FROM glob(${quoteLiteral(absolute)}) ORDER BY file`);
  const files = rows.map((r) => String(r.file));
  if (files.length === 0) throw new UserError(`no file matches ${pattern} (looked in ${path.dirname(absolute)})`, place);
  // A match may be a symlink out of the project: each file is checked, not only the folder the glob starts in.
  for (const file of files) checkAllowedPath(ctx.project, file, place, 'read');
  return files.map((file) => ({ path: file, display: displayName(ctx, file) }));
}

/** The folder part of a glob before its first wildcard (the whole path when it has none). */
function staticPrefix(absolute: string): string {
  const wild = absolute.search(/[*?[{]/);
  return wild === -1 ? absolute : path.dirname(absolute.slice(0, wild) + 'x');
}

function displayName(ctx: BlockContext, file: string): string {
  const relative = path.relative(ctx.project.dir, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/**
 * Creates the block's output from all `files` with one DuckDB query (or a view over them: see file-view-source.ts;
 * `isReplacedNeverRewritten` files, such as the download cache's, are linked there rather than copied). Rows that do not parse fail the block with a
 * UserError naming the file (as the user knows it), line and column, or with `on_error: reject` are counted,
 * logged and kept aside in a session table. Resolves to the rows written and the rows rejected.
 */
export async function readFilesIntoOutput(
  ctx: BlockContext,
  files: SourceFile[],
  options: ReaderOptions,
  how: { isReplacedNeverRewritten?: boolean } = {},
): Promise<{ rows: number; rejected: number }> {
  const place = { block: ctx.block.id };
  const format = resolveFormat(
    options.format,
    files.map((f) => f.display),
    place,
  );
  checkOptionsFitFormat(format, options, place);
  await checkFilesBeforeRead(files, format, place);
  if (canPublishFileView(ctx, files, format, options)) {
    const { rows, sniffed, scan } = await publishFileView(ctx, files, format, options, how.isReplacedNeverRewritten === true).catch(
      async (error: unknown) => {
        throw await explainReadError(error, ctx, files, format, options);
      },
    );
    if (format === 'csv' && options.delimiter === undefined) await checkNotCollapsed(ctx, files);
    // A file the line scan found no quote in cannot hold an unclosed one.
    if (format === 'csv' && options.quote === undefined && scan?.hasQuote !== false)
      await checkQuotesClosed(ctx, files, options.delimiter, sniffed);
    return { rows, rejected: 0 };
  }
  const rejects = options.on_error === 'reject' ? await prepareRejectTables(ctx) : undefined;
  const sql = buildReadSql(
    files.map((f) => f.path),
    format,
    options,
    rejects,
  );
  const estimatedRows =
    format === 'csv'
      ? await estimateCsvRows(
          files.map((f) => f.path),
          options.header !== false,
        )
      : undefined;
  let rows: number;
  try {
    rows = await ctx.data.writeOutputFromQuery(sql, reportQueryProgress(ctx, 'read', estimatedRows));
  } catch (error) {
    throw await explainReadError(error, ctx, files, format, options);
  }
  if (format === 'csv' && options.delimiter === undefined) await checkNotCollapsed(ctx, files);
  if (format === 'csv' && options.quote === undefined) await checkQuotesClosed(ctx, files, options.delimiter);
  const rejected = rejects ? await reportRejects(ctx, rejects, files) : 0;
  return { rows, rejected };
}

/** Session (temp) tables for this block's rejected rows, emptied first. */
async function prepareRejectTables(ctx: BlockContext): Promise<RejectTables> {
  const tables = { errors: `${ctx.block.id}_reject_errors`, scans: `${ctx.block.id}_reject_scans` };
  await ctx.data.run(
    `DROP TABLE IF EXISTS temp.main.${quoteIdent(tables.errors)}; DROP TABLE IF EXISTS temp.main.${quoteIdent(tables.scans)};`,
  );
  return tables;
}

async function reportRejects(ctx: BlockContext, tables: RejectTables, files: SourceFile[]): Promise<number> {
  const errors = `temp.main.${quoteIdent(tables.errors)}`;
  const scans = `temp.main.${quoteIdent(tables.scans)}`;
  const [counted] = await ctx.data.queryRows(`SELECT count(*)::INTEGER AS n FROM (SELECT DISTINCT scan_id, file_id, line FROM ${errors})`);
  const rejected = Number(counted?.n ?? 0);
  if (rejected === 0) return 0;
  const [first] = await ctx.data.queryRows(
    `SELECT s.file_path, e.line::INTEGER AS line, e.column_name, e.error_message FROM ${errors} e
     JOIN ${scans} s USING (scan_id, file_id) ORDER BY s.file_path, e.line LIMIT 1`,
  );
  const where = first
    ? `; first: ${displayOf(files, String(first.file_path))} line ${first.line}${first.column_name ? ` column ${first.column_name}` : ''}: ${first.error_message}`
    : '';
  ctx.log(
    'warn',
    `${rejected.toLocaleString('en-US')} row${rejected === 1 ? '' : 's'} rejected (kept aside in session table ${tables.errors})${where}`,
  );
  return rejected;
}

function displayOf(files: SourceFile[], duckPath: string | undefined): string {
  const match = files.find((f) => f.path === duckPath);
  if (match) return match.display;
  if (files.length === 1 && files[0]) return files[0].display;
  return duckPath ?? files.map((f) => f.display).join(', ');
}

/** Turns DuckDB's reader errors into UserErrors that name the file as the user knows it, the line and the column. */
async function explainReadError(
  error: unknown,
  ctx: BlockContext,
  files: SourceFile[],
  format: FileFormat,
  options: ReaderOptions,
): Promise<unknown> {
  const message = error instanceof Error ? error.message : String(error);
  const place: ErrorPlace = { block: ctx.block.id };
  const tooLong = format === 'csv' ? await longLineError(message, files, place) : undefined;
  if (tooLong) return tooLong;
  const csv = format === 'csv' ? parseCsvError(message) : undefined;
  if (csv) return await rowError(csv, files, options, place);
  if (/Error when sniffing file|COLUMN_TYPES error/.test(message)) {
    const ragged = await firstRaggedLine(files, options.delimiter);
    if (ragged) return ragged.toError(place);
  }
  const unknownType = /Type with name (.+?) does not exist/.exec(message)?.[1];
  if (unknownType) return new UserError(`config.columns: ${unknownType} is not a DuckDB type`, { ...place, path: 'config.columns' });
  const missing = /COLUMN_TYPES error: Columns with names: (.+?) do not exist/.exec(message)?.[1];
  if (missing)
    return new UserError(`config.columns names ${missing}, not found in ${displayOf(files, undefined)}`, {
      ...place,
      path: 'config.columns',
    });
  if (/^(Conversion|Invalid Input|Binder) Error/m.test(message) || /Error when sniffing file/.test(message)) {
    const summary = withDisplayNames(message.split('\n')[0] ?? message, files);
    const file = displayOf(files, files.find((f) => message.includes(f.path))?.path);
    return new UserError(`cannot read ${file} as ${format}: ${summary}`, { ...place, file });
  }
  return error;
}

async function rowError(csv: CsvReadFailure, files: SourceFile[], options: ReaderOptions, place: ErrorPlace): Promise<UserError> {
  const file = files.find((f) => f.path === csv.file) ?? (files.length === 1 ? files[0] : undefined);
  const display = file?.display ?? csv.file ?? 'the file';
  const column =
    csv.column !== undefined
      ? await columnNumber(file, csv.column, csv.delimiter ?? options.delimiter, options.header)
      : raggedColumn(csv.reason);
  const named = csv.column !== undefined ? ` (${csv.column})` : '';
  const hint =
    csv.column === undefined
      ? 'the row has a different number of fields than the header; fix the file or set on_error: reject'
      : `${formatHint(csv.reason, options)}declare another type in config.columns, or set on_error: reject to keep the good rows`;
  const where = `line ${csv.line}${column !== undefined ? `, column ${column}` : ''}${named}`;
  return new UserError(`${where}: ${csv.reason}; ${hint}`, {
    ...place,
    file: display,
    ...(csv.line !== undefined ? { line: csv.line } : {}),
    ...(column !== undefined ? { column } : {}),
  });
}

/** 1-based position of a named column in the file's header line (or of DuckDB's `columnN` name without a header). */
async function columnNumber(
  file: SourceFile | undefined,
  name: string,
  delimiter: string | undefined,
  header: boolean | undefined,
): Promise<number | undefined> {
  const generated = /^column(\d+)$/.exec(name)?.[1];
  if (header === false && generated !== undefined) return Number(generated) + 1;
  if (!file || delimiter === undefined) return undefined;
  const [first] = await readLeadingLines(file.path, 1);
  const index = splitCsvFields(first ?? '', delimiter).indexOf(name);
  return index >= 0 ? index + 1 : undefined;
}

async function firstRaggedLine(files: SourceFile[], delimiter: string | undefined) {
  for (const file of files) {
    const found = await findRaggedLine(file.path, delimiter);
    if (!found) continue;
    return {
      toError: (place: ErrorPlace) =>
        new UserError(
          `line ${found.line}, column ${found.column}: ${found.reason}; the row has a different number of fields than the header: fix the file or set on_error: reject`,
          {
            ...place,
            file: file.display,
            line: found.line,
            column: found.column,
          },
        ),
    };
  }
  return undefined;
}

/**
 * A ragged row near the top of a file makes DuckDB's sniffer give up on the delimiter and read each line as one
 * text column: catch that instead of publishing a one-column table.
 */
async function checkNotCollapsed(ctx: BlockContext, files: SourceFile[]): Promise<void> {
  const { columns } = await ctx.data.describe(ctx.block.id);
  const only = columns.length === 1 ? columns[0] : undefined;
  if (!only || !/[,;\t|]/.test(only.name)) return;
  const ragged = await firstRaggedLine(files, undefined);
  if (ragged) throw ragged.toError({ block: ctx.block.id });
}

/**
 * When DuckDB's sniffer settles on no quote character, an unclosed quote is read as data and splits the rest of
 * its field into rows: find it. (With `"` sniffed, DuckDB's strict mode reports unterminated quotes itself.)
 */
async function checkQuotesClosed(
  ctx: BlockContext,
  files: SourceFile[],
  delimiter: string | undefined,
  known?: { quote: string; delimiter: string },
): Promise<void> {
  for (const file of files) {
    const delim = delimiter === undefined ? '' : `, delim = ${quoteLiteral(delimiter)}`;
    // One file already sniffed (a file view): its answer stands.
    const [sniffed] =
      known && files.length === 1
        ? [{ quote: known.quote === '' ? '(empty)' : known.quote, delimiter: known.delimiter }]
        : await ctx.data.queryRows(`SELECT Quote AS quote, Delimiter AS delimiter FROM sniff_csv(${quoteLiteral(file.path)}${delim})`);
    if (sniffed?.quote === '"') continue;
    const found = await findUnterminatedQuote(file.path, delimiter ?? String(sniffed?.delimiter ?? ','));
    if (!found) continue;
    throw new UserError(
      `line ${found.line}, column ${found.column}: a quoted field opens here and is never closed (unterminated quote); ` +
        "fix the file, or set quote: '' to read quotes as ordinary characters",
      { block: ctx.block.id, file: file.display, line: found.line, column: found.column },
    );
  }
}

/** DuckDB's "Maximum line size exceeded" names line 1 and quotes the whole line: name the real line instead. */
async function longLineError(message: string, files: SourceFile[], place: ErrorPlace): Promise<UserError | undefined> {
  const max = /Maximum line size of (\d+) bytes exceeded/.exec(message)?.[1];
  if (max === undefined) return undefined;
  const named = /^\s*file = (.+)$/m.exec(message)?.[1]?.trim();
  const candidates = files.filter((f) => f.path === named);
  for (const file of candidates.length > 0 ? candidates : files) {
    const found = await findLongLine(file.path, Number(max));
    if (!found) continue;
    return new UserError(
      `line ${found.line}: ${found.bytes.toLocaleString('en-US')} bytes long, past the CSV reader's ${Number(max).toLocaleString('en-US')}-byte ` +
        'line limit (one huge value, or a quote that is never closed?)',
      { ...place, file: file.display, line: found.line },
    );
  }
  return new UserError(
    `a line is longer than the CSV reader's ${Number(max).toLocaleString('en-US')}-byte limit in ${displayOf(files, named)}`,
    { ...place, file: displayOf(files, named) },
  );
}

function withDisplayNames(text: string, files: SourceFile[]): string {
  return files.reduce((acc, f) => acc.replaceAll(f.path, f.display), text);
}
