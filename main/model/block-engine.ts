import type { BlockSpec, PipelineFile, ProjectFile, SqlEngine } from './schema.ts';

/** Engines whose tables live outside the laptop. */
export type WarehouseEngine = Exclude<SqlEngine, 'duckdb'>;

/** Where a block's output lives: the local DuckDB, a warehouse, or nowhere (an export to files or another system). */
export type OutputEngine = SqlEngine | 'none';

/** Block kinds whose SQL may run in a warehouse (`engine:`). */
export function takesEngine(block: Pick<BlockSpec, 'type' | 'kind'>): boolean {
  return (block.type === 'transform' && block.kind === 'sql') || (block.type === 'source' && block.kind === 'table');
}

/** The engine a block's SQL runs on: its own `engine:`, else the pipeline's, else duckdb. Undefined for other kinds. */
export function engineOf(
  block: Pick<BlockSpec, 'type' | 'kind' | 'engine'>,
  pipeline: Pick<PipelineFile, 'engine'>,
): SqlEngine | undefined {
  if (!takesEngine(block)) return undefined;
  return block.engine ?? pipeline.engine ?? 'duckdb';
}

/** Whether the block's SQL runs in a warehouse. */
export function isPushedDown(
  block: Pick<BlockSpec, 'type' | 'kind' | 'engine'>,
): block is Pick<BlockSpec, 'type' | 'kind'> & { engine: WarehouseEngine } {
  return takesEngine(block) && block.engine !== undefined && block.engine !== 'duckdb';
}

/**
 * Where the output a downstream block reads lives. BigQuery and Postgres exports leave a warehouse table that a
 * pushed-down block may read by the export's name; other exports leave nothing to read (they only order).
 */
export function outputEngineOf(block: Pick<BlockSpec, 'type' | 'kind' | 'engine'>): OutputEngine {
  if (takesEngine(block)) return block.engine ?? 'duckdb';
  if (block.type === 'export') return block.kind === 'bigquery' ? 'bigquery' : block.kind === 'postgres' ? 'postgres' : 'none';
  return 'duckdb';
}

/**
 * The connection a block's warehouse table is reached through: the block's `connection:` (exports: config.connection),
 * else the pipeline's, else `default_connections.<engine>`. Undefined when none is named (the run says so).
 */
export function warehouseConnectionOf(
  block: Pick<BlockSpec, 'type' | 'kind' | 'engine' | 'connection' | 'config'>,
  pipeline: Pick<PipelineFile, 'connection'>,
  project: Pick<ProjectFile, 'default_connections'>,
): string | undefined {
  const engine = outputEngineOf(block);
  if (engine === 'duckdb' || engine === 'none') return undefined;
  const own = block.type === 'export' ? block.config.connection : (block.connection ?? pipeline.connection);
  return typeof own === 'string' ? own : project.default_connections?.[engine];
}

/** Display names of engines, for messages and badges. */
export const ENGINE_NAMES: Record<SqlEngine, string> = { duckdb: 'DuckDB', bigquery: 'BigQuery', postgres: 'Postgres' };

/**
 * The engine a block's data ends up in: its own for SQL blocks, the warehouse of a BigQuery/Postgres export, DuckDB
 * for everything else. An edge whose upstream output engine differs from this moves data between engines.
 */
export function destinationEngineOf(block: Pick<BlockSpec, 'type' | 'kind' | 'engine'>): SqlEngine {
  const engine = outputEngineOf(block);
  return engine === 'none' ? 'duckdb' : engine;
}

/** Whether the edge `up → block` moves data between engines (a transfer), for the canvas to mark. */
export function crossesEngines(
  up: Pick<BlockSpec, 'type' | 'kind' | 'engine'>,
  block: Pick<BlockSpec, 'type' | 'kind' | 'engine'>,
): { from: SqlEngine; to: SqlEngine } | undefined {
  const from = outputEngineOf(up);
  const to = destinationEngineOf(block);
  return from === 'none' || from === to ? undefined : { from, to };
}
