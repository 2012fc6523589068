import path from 'node:path';
import { UserError, type ErrorPlace } from '../errors.ts';
import type { LoadedBlock } from '../project/model.ts';
import type { BlockCondition } from '../project/schema.ts';
import { isProblem, readCodeFile } from '../project/block-files.ts';
import { quoteIdent } from '../data/sql-names.ts';
import { runTypeScript } from '../blocks/ts-runner.ts';
import { runPythonPredicate } from '../python/python-predicate.ts';
import type { BlockContext } from './block-kind.ts';
import { withBlockContext, type RunEnv } from './block-runner.ts';
import { renderTemplate } from './templating.ts';
import { dataUpstreamOf } from './plan.ts';

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
    const place: ErrorPlace = { block: block.id, path: 'condition.python', file: condition.python };
    const predicate = { role: 'condition' as const, file: condition.python, upstream, place, ...(condition.function ? { function: condition.function } : {}) };
    const holds = await withBlockContext(env, block, upstream, (ctx) => runPythonPredicate(ctx, predicate));
    return holds ? { holds } : { holds, reason: `condition false: ${condition.python}${condition.function ? ` (${condition.function})` : ''}` };
  }
  const holds = await withBlockContext(env, block, upstream, (ctx) => typescriptConditionHolds(ctx, condition));
  return holds ? { holds } : { holds, reason: `condition false: ${condition.typescript}${condition.export ? ` (${condition.export})` : ''}` };
}

/** `SELECT <sql> FROM <over>` must give one row whose value is a boolean; NULL counts as false, as in WHERE. */
async function sqlConditionHolds(ctx: BlockContext, condition: { sql: string; over: string }): Promise<boolean> {
  const place: ErrorPlace = { block: ctx.block.id, path: 'condition.sql' };
  const expression = renderTemplate(condition.sql, ctx.variables);
  const rows = await ctx.data.queryRows(`SELECT (${expression}) AS "condition" FROM ${quoteIdent(condition.over)}`).catch((error: unknown) => {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`condition.sql (${condition.sql}) does not evaluate over ${condition.over}: ${error.message}`, place, { cause: error });
  });
  if (rows.length !== 1) {
    throw new UserError(
      `condition.sql (${condition.sql}) gave ${rows.length} rows over ${condition.over}; it must give one: use an aggregate such as count(*) > 0 or bool_and(…)`,
      place,
    );
  }
  const value = rows[0]?.condition;
  if (value === null) return false;
  if (typeof value !== 'boolean') throw new UserError(`condition.sql (${condition.sql}) gave ${JSON.stringify(String(value))}, not a boolean: write a comparison such as count(*) > 0`, place);
  return value;
}

/**
 * Runs the file's export `(ctx) => boolean | Promise<boolean>` in a worker (ctx: variables, blockId, runId, log) through a
 * small generated entry beside the file, so compile errors and throws point at the user's own lines.
 */
async function typescriptConditionHolds(ctx: BlockContext, condition: { typescript: string; export?: string }): Promise<boolean> {
  const place: ErrorPlace = { block: ctx.block.id, path: 'condition.typescript', file: condition.typescript };
  if (path.extname(condition.typescript) !== '.ts') throw new UserError(`condition.typescript must name a .ts file, got ${condition.typescript}`, place);
  const code = await readCodeFile(ctx.project.dir, condition.typescript);
  if (isProblem(code)) throw new UserError(`condition.typescript: ${code.problem}`, place);
  const exportName = condition.export ?? 'default';
  const entry = [
    `import * as condition from ${JSON.stringify(`./${path.basename(code.absPath)}`)};`,
    `export default async function (_inputs: unknown, ctx: unknown) {`,
    `  const fn = (condition as Record<string, unknown>)[${JSON.stringify(exportName)}];`,
    `  if (typeof fn !== 'function') return [{ missing: true }];`,
    `  return [{ result: await fn(ctx) }];`,
    `}`,
  ].join('\n');
  const entryPath = path.join(path.dirname(code.absPath), `.pw-condition-${ctx.block.id}.ts`);
  const reply = await runTypeScript({
    ctx, source: { relPath: condition.typescript, absPath: entryPath, text: entry }, mode: 'transform', exportNames: ['default'], inputs: [],
  });
  const row = reply.type === 'rows' ? reply.rows[0] : undefined;
  if (row?.missing) throw new UserError(`condition.typescript: ${condition.typescript} has no ${exportName === 'default' ? 'default export' : `export named ${exportName}`}`, place);
  const value = row?.result;
  if (typeof value !== 'boolean') {
    throw new UserError(`condition.typescript: the function returned ${value === undefined ? 'undefined' : JSON.stringify(String(value))}, not true or false`, place);
  }
  return value;
}
