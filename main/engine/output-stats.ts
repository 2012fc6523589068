import { quoteIdent } from '../data/sql-names.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type { OutputStats } from '../model/run-events.ts';

/**
 * Row count and schema of a block's fresh output (cheap: DuckDB's catalog and count); with `withNullRates`, one more
 * scan counts the nulls of every column, so blocks without `drift:` pay nothing for it.
 */
export async function measureOutput(ctx: BlockContext, withNullRates: boolean): Promise<OutputStats> {
  const { columns, rows } = await ctx.data.describe(ctx.block.id);
  const stats: OutputStats = { rows, columns: columns.map((c) => ({ name: c.name, type: c.type })) };
  if (!withNullRates || columns.length === 0) return stats;
  const counts = columns.map((c, i) => `count(${quoteIdent(c.name)}) AS c${i}`).join(', ');
  const [row] = await ctx.data.queryRows(`SELECT count(*) AS n, ${counts} FROM ${ctx.data.relation(ctx.block.id)}`);
  const total = Number(row?.n ?? 0);
  stats.nullRates = Object.fromEntries(columns.map((c, i) => [c.name, total === 0 ? 0 : 1 - Number(row?.[`c${i}`] ?? 0) / total]));
  return stats;
}
