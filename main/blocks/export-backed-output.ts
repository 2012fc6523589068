import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { BlockContext, FileSink } from '../model/block-kind.ts';
import type { QueryProgress } from '../model/workspace-types.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';

/**
 * Partition column types whose Hive folder names read back as the very same values. Text does not (a value 'NULL'
 * reads back as NULL), nor floats (-0.0 comes back as 0.0), nor time zones (the folder holds local text).
 */
const ROUND_TRIP = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|BOOLEAN|DATE|TIMESTAMP)$/;

/**
 * Writes the rows of `sql` as the sole reading export's files, staged beside its target (BlockContext.fileSink), and
 * publishes this block's output as a view over private links to them: the rows are computed and written once,
 * instead of into a table and then from it into the files. Resolves to the rows written, or undefined when the
 * export cannot take them this way (a partition column whose values would not read back the same, an empty
 * partitioned result, columns DuckDB cannot name apart): the block then writes a table as usual.
 */
export async function writeThroughExport(
  ctx: BlockContext,
  sink: FileSink,
  sql: string,
  onProgress?: (progress: QueryProgress) => void,
): Promise<number | undefined> {
  const columns = await describeQuery(ctx, sql);
  if (!columns) return undefined;
  const stage = await sink.stage();
  if (!stage) return undefined;
  const types = new Map(columns.map((c) => [c.name, c.type]));
  if (!stage.partitionBy.every((name) => ROUND_TRIP.test(types.get(name) ?? ''))) {
    await sink.abandon(stage);
    return undefined;
  }
  try {
    const rows = await ctx.data.copyQueryToFiles(sql, stage.path, stage.copyOptions, onProgress);
    const isFolder = stage.partitionBy.length > 0;
    const files = isFolder ? await filesUnder(stage.path) : [stage.path];
    if (files.length === 0) {
      // No rows, so no partition folders: nothing a view could read.
      await sink.abandon(stage);
      return undefined;
    }
    const linked = await ctx.data.linkOutputFiles(files, isFolder ? { relativeTo: stage.path } : {});
    const display = (file: string) => (isFolder ? `${stage.display}/${path.relative(stage.path, file)}` : stage.display);
    await ctx.data.writeOutputAsFileView(viewSql(linked, columns, stage.partitionBy), {
      rows,
      files: linked.map((file, i) => ({ path: file, display: display(files[i] ?? file) })),
    });
    sink.staged(stage, rows);
    ctx.log('info', `wrote its rows as ${sink.exportId}'s files (${stage.display}), published once its checks pass`);
    return rows;
  } catch (error) {
    await sink.abandon(stage);
    throw error;
  }
}

/** The query's columns, or undefined when it does not bind here (the usual write then reports the error in place). */
async function describeQuery(ctx: BlockContext, sql: string): Promise<{ name: string; type: string }[] | undefined> {
  const described = await ctx.data.queryRows(`DESCRIBE (\n${sql}\n)`).catch(() => undefined);
  if (!described) return undefined;
  const columns = described.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  // Names that differ only in case are one column to DuckDB's Parquet reader: leave those to the table.
  const names = new Set(columns.map((c) => c.name.toLowerCase()));
  return names.size === columns.length ? columns : undefined;
}

/** The files DuckDB wrote under a partitioned COPY's folder, sorted. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** The output as the query produced it: the columns in its order, partition columns typed back from the folder names. */
function viewSql(linked: readonly string[], columns: readonly { name: string; type: string }[], partitionBy: readonly string[]): string {
  const list = `[${linked.map(quoteLiteral).join(', ')}]`;
  const hive =
    partitionBy.length === 0
      ? ''
      : `, hive_partitioning = true, hive_types_autocast = false, hive_types = {${partitionBy
          .map((name) => `${quoteLiteral(name)}: ${columns.find((c) => c.name === name)?.type ?? 'VARCHAR'}`)
          .join(', ')}}`;
  return `SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM read_parquet(${list}${hive})`;
}
