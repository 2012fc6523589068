import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { renderTemplate } from '../model/templating.ts';
import { quoteIdent } from '../data/sql-names.ts';
import { toSnakeCase } from './snake-case.ts';
import { lineageOfQuery } from '../data/column-lineage.ts';
import { explainExportRead, inputsOf } from './block-inputs.ts';
import { reportQueryProgress } from './query-progress-report.ts';
import { pushedDownSql, runPushedDown } from '../pushdown/pushdown-block.ts';
import type { FileViewInfo } from '../model/workspace-types.ts';
import { explainFileViewError } from './file-view-source.ts';
import { writeThroughExport } from './export-backed-output.ts';

const configSchema = z.strictObject({
  /** Rename the query's output columns; `snake_case` handles acronyms (VendorID → vendor_id). */
  rename_columns: z.enum(['snake_case']).optional(),
  // The rest applies to blocks with engine: bigquery | postgres (main/pushdown/).
  /** BigQuery dataset of the published table; default: the pipeline id. */
  dataset: z.string().min(1).optional(),
  /** Postgres schema of the published table; default: the pipeline id. */
  schema: z.string().min(1).optional(),
  /** Name of the published table; default: the block id. */
  table: z.string().min(1).optional(),
  /** BigQuery: refuse the block when its dry run estimates more bytes (default: pipewright.yaml's). */
  maximum_bytes_billed: z.number().int().positive().optional(),
  /** BigQuery: `PARTITION BY` expression of the table, e.g. `DATE(pickup_datetime)`. */
  partition_by: z.string().min(1).optional(),
  /** BigQuery: `CLUSTER BY` columns. */
  cluster_by: z.array(z.string().min(1)).min(1).max(4).optional(),
});
type SqlConfig = z.infer<typeof configSchema>;

/** A DuckDB SELECT over upstream outputs (by block id), materialised as the block's output. */
export const sqlTransform: BlockKind<SqlConfig> = {
  type: 'transform',
  kind: 'sql',
  title: 'SQL (DuckDB)', // engine: bigquery | postgres runs it in a warehouse instead (main/pushdown/)
  configSchema,
  code: 'required',
  codeExtension: '.sql',
  async run(ctx, config) {
    if (ctx.block.engine === 'bigquery' || ctx.block.engine === 'postgres') {
      if (config.rename_columns)
        throw new UserError('rename_columns works on duckdb only: alias the columns in the query', {
          block: ctx.block.id,
          path: 'config.rename_columns',
        });
      return runPushedDown(ctx, pushedDownSql(ctx), config);
    }
    const sql = userQuery(ctx);
    const inputs = inputsOf(ctx);
    // Upstream file views (sources parsed by this block's query): their rows are recorded, and a bad line is theirs.
    const fileViews = inputs.length > 0 ? await ctx.data.fileViewsOf(inputs) : new Map<string, FileViewInfo>();
    // Rows in: file views' as recorded, the rest counted in one round trip (one for all the children of a fan-out).
    const rowsIn = await ctx.data.countRows(inputs);
    const query = config.rename_columns ? await renamed(ctx, sql) : { text: sql, lineOffset: 0 };
    // DuckDB guesses a CSV's rows from its size; a file view's rows were counted.
    const readsOnlyFileViews = fileViews.size > 0 && fileViews.size === inputs.length;
    const progress = reportQueryProgress(ctx, 'query', readsOnlyFileViews ? rowsIn : undefined);
    const explained = (err: unknown) =>
      explainFileViewError(ctx, err, fileViews) ?? explainExportRead(ctx, shiftLines(err, query.lineOffset));
    // Read by one file export only: written once, as that export's files (export-backed-output.ts).
    const throughExport = ctx.fileSink
      ? await writeThroughExport(ctx, ctx.fileSink, query.text, progress).catch((err: unknown) => {
          throw explained(err);
        })
      : undefined;
    const rowsOut =
      throughExport ??
      (await ctx.data.writeOutputFromQuery(query.text, progress).catch((err: unknown) => {
        throw explained(err);
      }));
    return { rowsIn, rowsOut, hasOutput: true };
  },
  async designSchema(ctx, config) {
    // A warehouse's SQL is not DuckDB's: its columns come from its own dry run (main/pushdown/) or its last run.
    if (ctx.block.engine === 'bigquery' || ctx.block.engine === 'postgres') return undefined;
    const text = ctx.block.code?.text;
    if (text === undefined) return undefined;
    const sql = renderTemplate(text, ctx.variables).replace(/;\s*(--[^\n]*\s*)*$/, '');
    if (sql.trim() === '') return undefined;
    const described = await ctx.describeSql(sql);
    const columns = config.rename_columns ? described.map((c) => ({ ...c, name: toSnakeCase(c.name) })) : described;
    const readable = new Map([...ctx.upstream].flatMap(([id, cols]) => (cols ? [[id, cols] as const] : [])));
    const lineage = lineageOfQuery(await ctx.serializeSql(sql), readable);
    // The parse tree names expressions its own way: the output's names (as bound, then renamed) are the truth.
    if (lineage && lineage.length === columns.length)
      ctx.reportLineage(lineage.map((l, i) => ({ ...l, column: columns[i]?.name ?? l.column })));
    return columns;
  },
};

/** The block's SQL with variables rendered and a trailing semicolon dropped (it is embedded in CREATE TABLE … AS). */
function userQuery(ctx: BlockContext): string {
  const text = ctx.block.code?.text;
  if (text === undefined) throw new UserError('a sql block needs a .sql file (file: blocks/<name>.sql)', { block: ctx.block.id });
  const rendered = renderTemplate(text, ctx.variables).replace(/;\s*(--[^\n]*\s*)*$/, '');
  if (rendered.trim() === '')
    throw new UserError('the SQL file is empty: write a SELECT over the upstream blocks', { block: ctx.block.id });
  return rendered;
}

/** Wraps the user's query so its columns come out renamed; the user's SQL starts on line 2 of the wrapper. */
async function renamed(ctx: BlockContext, sql: string): Promise<{ text: string; lineOffset: number }> {
  const columns = await ctx.data.queryRows(`DESCRIBE (\n${sql}\n)`).catch((err: unknown) => {
    throw explainExportRead(ctx, shiftLines(err, 1));
  });
  const names = columns.map((c) => String(c.column_name));
  const seen = new Map<string, string>();
  const select = names.map((name) => {
    const target = toSnakeCase(name);
    const clash = seen.get(target);
    if (clash !== undefined) {
      throw new UserError(`columns ${clash} and ${name} both become ${target} in snake_case: rename one in the query`, {
        block: ctx.block.id,
      });
    }
    seen.set(target, name);
    return `${quoteIdent(name)} AS ${quoteIdent(target)}`;
  });
  return { text: `SELECT ${select.join(', ')} FROM (\n${sql}\n)`, lineOffset: 1 };
}

/** Moves an error's line back into the user's file when the SQL was wrapped. */
function shiftLines(err: unknown, lineOffset: number): unknown {
  if (!(err instanceof UserError) || err.place.line === undefined || lineOffset === 0) return err;
  const line = Math.max(1, err.place.line - lineOffset);
  return new UserError(
    err.message.replace(/\b(LINE|line) (\d+):/g, (_m, word: string, n: string) => `${word} ${Math.max(1, Number(n) - lineOffset)}:`),
    {
      ...err.place,
      line,
    },
  );
}
