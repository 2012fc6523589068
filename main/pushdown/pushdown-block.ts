import { CancelledError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext, BlockOutcome } from '../model/block-kind.ts';
import type { BlockTestResult } from '../model/run-events.ts';
import { renderTemplate } from '../model/templating.ts';
import type { WarehouseEngine } from '../model/block-engine.ts';
import { compileBlockNames, type CompiledSql } from './compile-sql.ts';
import { openWarehouse } from './open-warehouse.ts';
import { publishedTable, runScopedTable, upstreamTable, type OutputNaming } from './table-names.ts';
import { placeSqlError } from './sql-error-place.ts';
import { buildOptionsFor, checkBytesLimit, describeBuild, describeEstimate, type WarehouseLimits } from './build-options.ts';
import type { Estimate, TableRef, Warehouse } from './warehouse.ts';
import { sweepRunTables } from './sweep-run-tables.ts';
import { killPoint } from '../model/kill-point.ts';
import { keepRunCopy, keepsRunCopy, thisRunsTables } from './run-copies.ts';

/** The config of a pushed-down SQL block beyond the local one's. */
export interface PushdownConfig extends OutputNaming, WarehouseLimits {
  partition_by?: string | undefined;
  cluster_by?: string[] | undefined;
}

const SAMPLE_ROWS = 3;

/**
 * Runs a SQL block inside its warehouse: compiles block names to tables, estimates (dry run / EXPLAIN; refused past
 * maximum_bytes_billed), builds a run-scoped table, runs the block's SQL tests on it, then publishes it atomically.
 * A failure or cancel at any step leaves the published table as it was and drops the run-scoped one; what a killed
 * process left is dropped by the next run's sweep.
 */
export async function runPushedDown(ctx: BlockContext, sqlText: string, config: PushdownConfig): Promise<BlockOutcome> {
  const engine = ctx.block.engine as WarehouseEngine;
  const place: ErrorPlace = { block: ctx.block.id, ...(ctx.block.code ? { file: ctx.block.code.relPath } : {}) };
  const warehouse = await openWarehouse(ctx, engine, ctx.block.connection, place);
  const onAbort = () =>
    void warehouse.cancel().catch((error: unknown) => ctx.log('warn', `could not cancel the ${engine} query: ${String(error)}`));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const published = publishedTable(ctx.block, ctx.pipelineId, config);
  const built = runScopedTable(published, ctx.runId, ctx.attempt);
  let isPublished = false;
  try {
    // 0. Run-scoped tables that killed runs left where this block builds.
    await sweepLeftovers(ctx, warehouse, published.namespace);
    // 1. Block names become the upstream blocks' warehouse tables (as this run built them, where it did).
    const upstream = await thisRunsTables(ctx, warehouse, upstreamTables(ctx, warehouse, place));
    const compiled = compileBlockNames(sqlText, new Map([...upstream].map(([id, table]) => [id, warehouse.sqlName(table)])));
    const options = buildOptionsFor(ctx, engine, config, ctx.timeoutSeconds !== undefined ? { seconds: ctx.timeoutSeconds } : undefined);
    // 2. The dry run (BigQuery) or EXPLAIN (Postgres): bad SQL and bytes past the limit stop here, before any cost.
    const estimate = await withSqlPlace(() => warehouse.estimate(compiled.text), sqlText, compiled, place);
    ctx.log('info', describeEstimate(engine, estimate));
    checkBytesLimit(estimate, options, place);
    // 3. The run-scoped table.
    throwIfAborted(ctx);
    const stats = await withSqlPlace(() => warehouse.build(built, compiled.text, options), sqlText, compiled, place);
    ctx.log('info', describeBuild(engine, built, stats));
    killPoint('pushdown.built'); // tests: a process killed here leaves the run-scoped table for the next run's sweep
    const rowsIn = await rowsOf(ctx, warehouse, [...upstream.values()]);
    // 4. Tests on it; a failed test leaves the published table as it was.
    const tests = await runTests(ctx, warehouse, built);
    checkTests(ctx, tests);
    // 5. The swap: only an attempt that was not cancelled replaces the published table. Downstream warehouse blocks
    // of this run read a copy kept until the run ends, which no other run replaces.
    throwIfAborted(ctx);
    if (keepsRunCopy(ctx, engine)) await keepRunCopy(ctx, warehouse, built, published, options, place);
    await warehouse.publish(built, published, options);
    isPublished = true;
    ctx.log('info', `published ${engine} table ${published.namespace}.${published.table}`);
    return {
      ...(rowsIn !== undefined ? { rowsIn } : {}),
      rowsOut: stats.rows,
      ...(stats.bytesProcessed !== undefined ? { bytes: stats.bytesProcessed } : {}),
      hasOutput: false,
      tests,
    };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (!isPublished)
      await warehouse.drop(built).catch((error: unknown) => ctx.log('warn', `could not drop ${built.table}: ${String(error)}`));
    await warehouse.close();
  }
}

/** What a pushed-down block needs to be estimated without running: the block context's read-only parts. */
export type EstimateContext = Pick<BlockContext, 'project' | 'connection' | 'pipelineId' | 'variables' | 'upstreamBlocks'> & {
  block: BlockContext['block'];
};

/**
 * The warehouse's estimate of a pushed-down block (dry run / EXPLAIN), its bytes limit, the SQL as the warehouse gets
 * it and the table it publishes: for `pipewright check` and `run --dry-run`.
 */
export async function estimatePushedDown(
  ctx: EstimateContext,
  config: PushdownConfig,
): Promise<{ estimate: Estimate; limit: number | undefined; sql: string; published: string }> {
  const engine = ctx.block.engine as WarehouseEngine;
  const place: ErrorPlace = { block: ctx.block.id, ...(ctx.block.code ? { file: ctx.block.code.relPath } : {}) };
  const sqlText = pushedDownSql(ctx);
  const warehouse = await openWarehouse(ctx, engine, ctx.block.connection, place);
  try {
    const names = [...upstreamTables(ctx, warehouse, place)].map(([id, table]) => [id, warehouse.sqlName(table)] as const);
    const compiled = compileBlockNames(sqlText, new Map(names));
    const estimate = await withSqlPlace(() => warehouse.estimate(compiled.text), sqlText, compiled, place);
    const limit = config.maximum_bytes_billed ?? ctx.project.settings.maximum_bytes_billed;
    return { estimate, limit, sql: compiled.text, published: warehouse.sqlName(publishedTable(ctx.block, ctx.pipelineId, config)) };
  } finally {
    await warehouse.close();
  }
}

/** The block's SQL with variables rendered and a trailing semicolon dropped (it is embedded in CREATE TABLE … AS). */
export function pushedDownSql(ctx: Pick<BlockContext, 'block' | 'variables'>): string {
  const text = ctx.block.code?.text;
  if (text === undefined) throw new UserError('a sql block needs a .sql file (file: blocks/<name>.sql)', { block: ctx.block.id });
  const rendered = renderTemplate(text, ctx.variables).replace(/;\s*(--[^\n]*\s*)*$/, '');
  if (rendered.trim() === '')
    throw new UserError('the SQL file is empty: write a SELECT over the upstream blocks', { block: ctx.block.id });
  return rendered;
}

/** The warehouse table behind each upstream block the SQL can read, by block id. */
function upstreamTables(
  ctx: Pick<BlockContext, 'upstreamBlocks' | 'pipelineId' | 'variables'>,
  warehouse: Warehouse,
  place: ErrorPlace,
): Map<string, TableRef> {
  const tables = new Map<string, TableRef>();
  for (const up of ctx.upstreamBlocks ?? []) {
    if (up.type === 'export' && up.kind !== 'bigquery' && up.kind !== 'postgres') continue; // orders only
    tables.set(up.id, upstreamTable(up, ctx.pipelineId, ctx.variables, place, warehouse.defaultNamespace));
  }
  return tables;
}

/** Rows in: the sum of the upstream tables' rows from the warehouse's metadata; undefined when one cannot be told. */
async function rowsOf(ctx: BlockContext, warehouse: Warehouse, tables: TableRef[]): Promise<number | undefined> {
  if (tables.length === 0) return undefined;
  try {
    const counts = await Promise.all(tables.map((t) => warehouse.rowCount(t)));
    return counts.every((n) => n !== undefined) ? counts.reduce((sum, n) => sum + n, 0) : undefined;
  } catch (error) {
    ctx.log('warn', `could not read the upstream tables' row counts: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** The sweep never fails the block: a table it could not drop is left for the next run. */
async function sweepLeftovers(ctx: BlockContext, warehouse: Warehouse, namespace: string): Promise<void> {
  if (!ctx.settledRunIds) return;
  try {
    const dropped = await sweepRunTables(warehouse, namespace, ctx.settledRunIds, ctx.runId);
    if (dropped.length > 0)
      ctx.log(
        'info',
        `dropped ${dropped.length} run-scoped table${dropped.length === 1 ? '' : 's'} left by earlier runs: ${dropped.join(', ')}`,
      );
  } catch (error) {
    ctx.log('warn', `could not sweep run-scoped tables of killed runs: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Runs a warehouse call on the user's SQL: its errors point at the user's line and column. */
async function withSqlPlace<T>(work: () => Promise<T>, sqlText: string, compiled: CompiledSql, place: ErrorPlace): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw placeSqlError(error, sqlText, compiled, place);
  }
}

/** SQL tests (the `tests:` list) in the warehouse: the block's id names the table just built; no rows means passed. */
async function runTests(ctx: BlockContext, warehouse: Warehouse, built: TableRef): Promise<BlockTestResult[]> {
  const results: BlockTestResult[] = [];
  const own = new Map([[ctx.block.id, warehouse.sqlName(built)]]);
  for (const test of ctx.block.tests) {
    if (!('sql' in test)) {
      results.push({
        name: test.name,
        passed: false,
        message: 'TypeScript tests read a local output: write this test as SQL for a block that runs in the warehouse',
      });
      continue;
    }
    const query = compileBlockNames(renderTemplate(test.sql, ctx.variables).trim().replace(/;\s*$/, ''), own).text;
    try {
      const sample = await warehouse.queryRows(`SELECT * FROM (\n${query}\n) AS t LIMIT ${SAMPLE_ROWS + 1}`);
      results.push(
        sample.length === 0
          ? { name: test.name, passed: true }
          : { name: test.name, passed: false, message: `rows violate it, e.g. ${JSON.stringify(sample.slice(0, SAMPLE_ROWS), jsonSafe)}` },
      );
    } catch (error) {
      results.push({
        name: test.name,
        passed: false,
        message: `the test query failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return results;
}

function checkTests(ctx: BlockContext, tests: BlockTestResult[]): void {
  const failed = tests.find((t) => !t.passed);
  if (failed) throw new UserError(`test ${failed.name} failed: ${failed.message ?? 'no message'}`, { block: ctx.block.id });
}

function throwIfAborted(ctx: BlockContext): void {
  if (ctx.signal.aborted)
    throw new CancelledError('cancelled before publishing: the published table is unchanged', { block: ctx.block.id });
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
