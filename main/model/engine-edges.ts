import type { BlockSpec, PipelineFile, ProjectFile } from './schema.ts';
import { ENGINE_NAMES, outputEngineOf, takesEngine, warehouseConnectionOf, type OutputEngine } from './block-engine.ts';

type EdgeBlock = Pick<BlockSpec, 'id' | 'type' | 'kind' | 'engine' | 'connection' | 'config' | 'upstream'>;

/** An edge whose data would have to cross engines, found at load time. */
export interface EngineEdgeProblem {
  /** The downstream block and the index of the offending entry in its `upstream:`. */
  block: string;
  blockIndex: number;
  upstreamIndex: number;
  message: string;
}

/**
 * The first edge that would move data between engines without a transfer block. Blocks must have their engine
 * resolved (engineOf). A pushed-down block reads only tables on its own engine and connection (pushed-down blocks,
 * table sources, BigQuery/Postgres exports); a local block reads only local outputs. Exports to files order only.
 */
export function findEngineCrossing(
  blocks: readonly EdgeBlock[],
  pipeline: Pick<PipelineFile, 'connection'>,
  project: Pick<ProjectFile, 'default_connections'>,
): EngineEdgeProblem | undefined {
  const byId = new Map(blocks.map((b) => [b.id, b]));
  for (const [blockIndex, block] of blocks.entries()) {
    // A source reads no upstream data (its upstream only orders it).
    if (block.type === 'source' || block.type === 'sensor') continue;
    const wants = readsFrom(block);
    for (const [upstreamIndex, upId] of block.upstream.entries()) {
      const up = byId.get(upId);
      if (!up) continue; // the graph check names unknown upstreams
      const has = outputEngineOf(up);
      if (has === 'none') continue;
      const problem = has === wants ? connectionProblem(up, block, pipeline, project) : crossingText(up, block, has, wants);
      if (problem) return { block: block.id, blockIndex, upstreamIndex, message: problem };
    }
  }
  return undefined;
}

/** The engine a block reads its upstream data from: its own for pushed-down SQL, else DuckDB (exports stream from it). */
function readsFrom(block: EdgeBlock): OutputEngine {
  return takesEngine(block) ? (block.engine ?? 'duckdb') : 'duckdb';
}

function crossingText(up: EdgeBlock, block: EdgeBlock, has: OutputEngine, wants: OutputEngine): string {
  const edge = `edge ${up.id} → ${block.id} crosses engines (${engineName(has)} → ${engineName(wants)})`;
  if (wants === 'duckdb') {
    return `${edge}: ${block.id} reads local data. Add a transfer: "Bring local" in ${up.id}'s menu (a ${engineName(has)} source reading its table), or set engine: ${has} on ${block.id}`;
  }
  return `${edge}: ${block.id} runs in ${engineName(wants)} and reads only tables there. Add a transfer: "Export to ${engineName(wants)}" in ${up.id}'s menu (its output loaded into a table that ${block.id} reads by the export's name), or set engine: duckdb on ${block.id}`;
}

/** Two warehouse blocks of one engine on different connections cannot read each other's tables either. */
function connectionProblem(
  up: EdgeBlock,
  block: EdgeBlock,
  pipeline: Pick<PipelineFile, 'connection'>,
  project: Pick<ProjectFile, 'default_connections'>,
): string | undefined {
  const from = warehouseConnectionOf(up, pipeline, project);
  const to = warehouseConnectionOf(block, pipeline, project);
  if (from === undefined || to === undefined || from === to || from.includes('{{') || to.includes('{{')) return undefined;
  return `edge ${up.id} → ${block.id} crosses connections (${from} → ${to}): a query runs on one connection; put both on ${to}, or add a transfer`;
}

function engineName(engine: OutputEngine): string {
  return engine === 'none' ? 'nothing' : ENGINE_NAMES[engine];
}

/** A setting a block that runs in a warehouse cannot honour (they read a local output), found at load time. */
export function findWarehouseOnlyProblem(
  blocks: readonly (EdgeBlock & Pick<BlockSpec, 'checks' | 'drift' | 'tests'>)[],
): { block: string; blockIndex: number; at: (string | number)[]; message: string } | undefined {
  for (const [blockIndex, block] of blocks.entries()) {
    if (!takesEngine(block) || (block.engine ?? 'duckdb') === 'duckdb') continue;
    const where = `block ${block.id} runs in ${ENGINE_NAMES[block.engine ?? 'duckdb']}`;
    if (block.checks?.length)
      return {
        block: block.id,
        blockIndex,
        at: ['checks'],
        message: `${where}: checks: read a local output; write them as SQL tests (a query that returns the bad rows)`,
      };
    if (block.drift)
      return {
        block: block.id,
        blockIndex,
        at: ['drift'],
        message: `${where}: drift: compares local outputs; remove it or run the block on duckdb`,
      };
    if (block.config.rename_columns !== undefined)
      return {
        block: block.id,
        blockIndex,
        at: ['config', 'rename_columns'],
        message: `${where}: rename_columns works on duckdb only; alias the columns in the query`,
      };
    const tsTest = block.tests.findIndex((t) => 'file' in t);
    if (tsTest >= 0)
      return {
        block: block.id,
        blockIndex,
        at: ['tests', tsTest],
        message: `${where}: TypeScript tests read a local output; write the test as SQL`,
      };
  }
  return undefined;
}
