import type { BlockContext } from '../model/block-kind.ts';
import { UserError } from '../model/errors.ts';
import type { FileViewInfo } from '../model/workspace-types.ts';
import { buildReadSql, formatHint, parseCsvError, type FileFormat, type ReaderOptions } from './file-formats.ts';
import { quoteIdent } from '../data/sql-names.ts';
import { pinnedReadSql, scanLineEnds, simpleCsvRows, sniffCsv } from './csv-pinned-read.ts';
import { cachedCsvFacts, type CsvFacts } from './sniff-cache.ts';

/** A file a source reads, and the name the user knows it by. */
interface NamedFile {
  path: string;
  display: string;
}

/**
 * Whether a file source may publish a view over its files instead of parsing them into a table: only one DuckDB SQL
 * block reads the output (BlockContext.isReadOnceBySql), and the files are plain CSV or Parquet read whole (rejected
 * rows need the parse now; a gzip CSV parses on one core whoever reads it, and is no cheaper later).
 */
export function canPublishFileView(ctx: BlockContext, files: readonly NamedFile[], format: FileFormat, options: ReaderOptions): boolean {
  if (ctx.isReadOnceBySql !== true || options.on_error === 'reject') return false;
  if (format !== 'csv' && format !== 'parquet') return false;
  return files.every((f) => !/\.(gz|gzip|zst)$/i.test(f.path));
}

/**
 * Publishes the output as a view over private links to `files` (copies unless `mayLink`) (main/data/file-views.ts); resolves to its rows and,
 * for one CSV file, what the sniffer and the line scan found (for a linked file, remembered: sniff-cache.ts). The sniff (or for several files, binding the view) reads each header here,
 * so a file DuckDB cannot read as declared fails in this block; a bad value deep in the file fails the block that
 * reads the view, naming this block and the line.
 */
export async function publishFileView(
  ctx: BlockContext,
  files: readonly NamedFile[],
  format: FileFormat,
  options: ReaderOptions,
  mayLink: boolean,
): Promise<{ rows: number } & Partial<CsvFacts>> {
  // A user's file may be rewritten in place (pandas' to_csv does): the output gets its own copy of it.
  const linked = await ctx.data.linkOutputFiles(
    files.map((f) => f.path),
    { copy: !mayLink },
  );
  const [only] = linked;
  const isOneCsv = format === 'csv' && linked.length === 1 && only !== undefined;
  // DuckDB sniffs while this thread counts line ends: the two overlap.
  const learn = async (file: string): Promise<CsvFacts> => {
    const [sniffed, scan] = await Promise.all([sniffCsv(ctx, file, options), scanLineEnds(file)]);
    return { sniffed, scan };
  };
  const facts = !isOneCsv
    ? undefined
    : mayLink && files[0]
      ? await cachedCsvFacts(ctx, files[0].path, options, () => learn(only))
      : await learn(only);
  const { sniffed, scan } = facts ?? {};
  const read = sniffed && only !== undefined ? pinnedReadSql(only, sniffed, options) : buildReadSql(linked, format, options);
  const columns = (await ctx.data.queryRows(`DESCRIBE ${read}`)).map((row) => quoteIdent(String(row.column_name)));
  // Every value is parsed by whoever reads the view, even a reader of one column or of count(*): a value that does not
  // fit its declared type fails the read (naming this block and the line) instead of passing unseen.
  const sql = `SELECT * FROM (${read}) WHERE hash(${columns.join(', ')}) IS NOT NULL`;
  const simple = sniffed && scan ? simpleCsvRows(scan, sniffed) : undefined;
  const rows = simple ?? Number((await ctx.data.queryRows(`SELECT count(*)::BIGINT AS n FROM (${sql})`))[0]?.n ?? 0);
  await ctx.data.writeOutputAsFileView(sql, { rows, files: linked.map((path, i) => ({ path, display: files[i]?.display ?? path })) });
  return { rows, ...facts };
}

/**
 * A CSV error raised while this block parsed an upstream file view: a UserError naming the source block, the file as
 * the user knows it, the line and the column; undefined for any other error.
 */
export function explainFileViewError(ctx: BlockContext, error: unknown, views: ReadonlyMap<string, FileViewInfo>): UserError | undefined {
  if (views.size === 0) return undefined;
  const message = [error, error instanceof Error ? error.cause : undefined]
    .map((e) => (e instanceof Error ? e.message : typeof e === 'string' ? e : ''))
    .join('\n');
  const csv = parseCsvError(message);
  if (!csv) return undefined;
  for (const [sourceId, view] of views) {
    const file = view.files.find((f) => f.path === csv.file) ?? (view.files.length === 1 && views.size === 1 ? view.files[0] : undefined);
    if (!file) continue;
    const column = csv.column !== undefined ? ` (${csv.column})` : '';
    const hint =
      csv.column === undefined
        ? 'the row has a different number of fields than the header; fix the file or set on_error: reject on it'
        : `${formatHint(csv.reason, sourceOptions(ctx, sourceId))}declare another type in its config.columns, or set on_error: reject on it to keep the good rows`;
    return new UserError(`${sourceId} (${file.display}), line ${csv.line}${column}: ${csv.reason}; ${hint}`, {
      block: ctx.block.id,
      file: file.display,
      ...(csv.line !== undefined ? { line: csv.line } : {}),
    });
  }
  return undefined;
}

/** The reader options of upstream source `sourceId` (its date and time formats name the likely fix). */
function sourceOptions(ctx: BlockContext, sourceId: string): Pick<ReaderOptions, 'timestamp_format' | 'date_format'> {
  const config = ctx.upstreamBlocks?.find((b) => b.id === sourceId)?.config;
  return typeof config === 'object' && config !== null ? (config as Pick<ReaderOptions, 'timestamp_format' | 'date_format'>) : {};
}
