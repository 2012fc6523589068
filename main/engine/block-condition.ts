import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { LoadedBlock } from '../model/project.ts';
import type { BlockCondition } from '../model/schema.ts';
import { quoteIdent } from '../data/sql-names.ts';
import type { BlockContext } from '../model/block-kind.ts';
import { withBlockContext, type RunEnv } from './block-runner.ts';
import { renderTemplate } from '../model/templating.ts';
import { dataUpstreamOf } from '../model/plan.ts';

/** Whether a block's condition holds; when it does not, the reason the run records (`condition false: …`). */
export type ConditionVerdict = { holds: true } | { holds: false; reason: string };

/**
 * Evaluates the block's `condition:` (SQL over an upstream output in DuckDB, a TypeScript function in a worker, or a Python @condition function).
 * Throws a UserError naming the block and the condition's field when it cannot be evaluated or is not a boolean.
 */
export async function evaluateCondition(env: RunEnv, block: LoadedBlock, condition: BlockCondition): Promise<ConditionVerdict> {
  if ('sql' in condition) {
    const holds = await withBlockContext(env, block, [condition.over], (ctx) => sqlConditionHolds(ctx, condition));
    return holds ? { holds } : { holds, reason: `condition false: ${condition.sql}` };
  }
  const upstream = dataUpstreamOf(block, env.pipeline.blocks);
  if ('python' in condition) {
    const holds = await withBlockContext(env, block, upstream, (ctx) => env.sandbox.pythonConditionHolds(ctx, condition, upstream));
    return holds
      ? { holds }
      : { holds, reason: `condition false: ${condition.python}${condition.function ? ` (${condition.function})` : ''}` };
  }
  const holds = await withBlockContext(env, block, upstream, (ctx) => env.sandbox.typescriptConditionHolds(ctx, condition));
  return holds
    ? { holds }
    : { holds, reason: `condition false: ${condition.typescript}${condition.export ? ` (${condition.export})` : ''}` };
}

/** `SELECT <sql> FROM <over>` must give one row whose value is a boolean; NULL counts as false, as in WHERE. */
async function sqlConditionHolds(ctx: BlockContext, condition: { sql: string; over: string }): Promise<boolean> {
  const place: ErrorPlace = { block: ctx.block.id, path: 'condition.sql' };
  const expression = renderTemplate(condition.sql, ctx.variables);
  const rows = await ctx.data
    .queryRows(`SELECT (${expression}) AS "condition" FROM ${quoteIdent(condition.over)}`)
    .catch((error: unknown) => {
      if (!(error instanceof UserError)) throw error;
      throw new UserError(`condition.sql (${condition.sql}) does not evaluate over ${condition.over}: ${error.message}`, place, {
        cause: error,
      });
    });
  if (rows.length !== 1) {
    throw new UserError(
      `condition.sql (${condition.sql}) gave ${rows.length} rows over ${condition.over}; it must give one: use an aggregate such as count(*) > 0 or bool_and(…)`,
      place,
    );
  }
  const value = rows[0]?.condition;
  if (value === null) return false;
  if (typeof value !== 'boolean')
    throw new UserError(
      `condition.sql (${condition.sql}) gave ${JSON.stringify(String(value))}, not a boolean: write a comparison such as count(*) > 0`,
      place,
    );
  return value;
}
