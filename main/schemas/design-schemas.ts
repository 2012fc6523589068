import path from 'node:path';
import { UserError } from '../model/errors.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';
import type { ColumnLineage } from '../data/column-lineage.ts';
import type { Pipeline, Project, LoadedBlock } from '../model/project.ts';
import type { BlockRegistry } from '../model/registry.ts';
import type { DesignContext } from '../model/design-types.ts';
import { renderConfig } from '../model/templating.ts';
import { resolveRunVariables } from '../engine/run-variables.ts';
import { topologicalOrder } from '../model/plan.ts';
import { allowedFolders } from '../project/allowed-paths.ts';
import { ScratchDuckDb } from './scratch-duckdb.ts';
import { SchemaCache } from './schema-cache.ts';
import { checkColumnProblems } from './check-columns.ts';

/** Where a block's design-time columns came from. */
export type SchemaOrigin = 'design' | 'declared' | 'last_run' | 'none';

/** Something wrong with a block found before any run, at a line of its code or a field of pipeline.yaml. */
export interface SchemaProblem {
  message: string;
  /** 1-based line (and column) in the block's code file, for SQL errors. */
  line?: number;
  column?: number;
  /** Field of the block in pipeline.yaml (`checks.0.not_null`). */
  path?: string;
}

export interface BlockSchema {
  blockId: string;
  /** The output's columns, or null when nothing tells them yet (an export, or a block never run whose kind cannot say). */
  columns: ColumnInfo[] | null;
  origin: SchemaOrigin;
  problems: SchemaProblem[];
  /** Why the columns are unknown or came from a fallback (a source that could not be sampled). */
  note?: string;
  /** SQL blocks: which upstream columns each output column reads. */
  lineage?: ColumnLineage[];
}

/** What design-time schemas read: the project and kinds, and the columns of a block's stored output (its last run). */
export interface SchemaEnv {
  project: Project;
  kinds: BlockRegistry;
  storedColumns(pipelineId: string, blockId: string): Promise<ColumnInfo[] | undefined>;
}

/**
 * Every block's output columns before running anything, in DAG order: SQL bound over its upstreams' columns (empty
 * tables in a scratch DuckDB), sources from their files' headers (sampled once per version), a declared `schema:`,
 * else the last run's. Never rejects for what it finds: SQL errors (with their line) and checks naming a column the
 * block does not produce are the blocks' `problems`.
 */
export async function designSchemas(
  env: SchemaEnv,
  pipeline: Pipeline,
  opts: { variables?: Record<string, unknown>; signal?: AbortSignal; sampleSources?: boolean } = {},
): Promise<BlockSchema[]> {
  // A dynamic child's `{{ item.x }}` is known only at run time: an empty item renders it as a placeholder.
  const variables = {
    item: {},
    ...resolveRunVariables(pipeline, opts.variables ?? {}, { runId: 'design', pipelineId: pipeline.id, executionDate: new Date() }),
  };
  const scratch = await ScratchDuckDb.open(allowedFolders(env.project));
  const cache = SchemaCache.inCacheDir(path.join(env.project.stateDir, 'cache'));
  const byId = new Map(pipeline.blocks.map((b) => [b.id, b]));
  const known = new Map<string, ColumnInfo[] | undefined>();
  const results: BlockSchema[] = [];
  try {
    for (const id of topologicalOrder(pipeline.blocks)) {
      const block = byId.get(id);
      if (!block) continue;
      const result = await blockSchema(env, pipeline, block, {
        variables,
        scratch,
        cache,
        known,
        signal: opts.signal ?? new AbortController().signal,
        sampleSources: opts.sampleSources ?? true,
      });
      if (result.columns) await scratch.defineTable(id, result.columns);
      known.set(id, result.columns ?? undefined);
      results.push(result);
    }
    for (const result of results) {
      const block = byId.get(result.blockId);
      if (block) result.problems.push(...checkColumnProblems(block, known, variables));
    }
    await cache.save().catch((error: unknown) => void error); // the cache only saves sampling next time
  } finally {
    scratch.close();
  }
  return pipeline.blocks.map(
    (b) => results.find((r) => r.blockId === b.id) ?? { blockId: b.id, columns: null, origin: 'none', problems: [] },
  );
}

interface Walk {
  variables: Record<string, unknown>;
  scratch: ScratchDuckDb;
  cache: SchemaCache;
  known: Map<string, ColumnInfo[] | undefined>;
  signal: AbortSignal;
  /** False: kinds without code (file and URL sources) are not sampled; their last run's columns stand. */
  sampleSources: boolean;
}

async function blockSchema(env: SchemaEnv, pipeline: Pipeline, block: LoadedBlock, walk: Walk): Promise<BlockSchema> {
  const base = { blockId: block.id, problems: [] as SchemaProblem[] };
  if (block.type === 'export' || block.type === 'sensor') return { ...base, columns: null, origin: 'none' };
  if (block.schema) return { ...base, columns: Object.entries(block.schema).map(([name, type]) => ({ name, type })), origin: 'declared' };
  const fallback = async (note?: string): Promise<BlockSchema> => {
    const stored = await env.storedColumns(pipeline.id, block.id);
    if (stored) return { ...base, columns: stored, origin: 'last_run', ...(note ? { note } : {}) };
    return { ...base, columns: null, origin: 'none', note: note ?? 'known after its first run (or declare schema: in pipeline.yaml)' };
  };
  const kind = env.kinds.get(block.type, block.kind);
  if (!kind?.designSchema || (!walk.sampleSources && kind.code === 'none')) return fallback();
  const unknownUpstream = block.upstream.find((up) => walk.known.has(up) && walk.known.get(up) === undefined && !isOrderOnly(pipeline, up));
  if (unknownUpstream) return fallback(`the columns of ${unknownUpstream} are unknown until it runs`);
  let rendered: unknown;
  try {
    rendered = renderConfig(block.config, walk.variables, { missingEnv: 'placeholder' });
  } catch (error) {
    return fallback(`its config needs run-time values: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = kind.configSchema.safeParse(rendered);
  if (!parsed.success) return fallback('its config is incomplete');
  let lineage: ColumnLineage[] | undefined;
  const ctx: DesignContext = {
    project: env.project,
    pipelineId: pipeline.id,
    block,
    variables: walk.variables,
    upstream: walk.known,
    describeSql: (sql) => walk.scratch.describe(sql),
    serializeSql: (sql) => walk.scratch.serialize(sql),
    reportLineage: (found) => {
      lineage = found;
    },
    cacheDir: path.join(env.project.stateDir, 'cache'),
    cached: (key, fingerprint, compute) => walk.cache.get(key, fingerprint, compute),
    signal: walk.signal,
  };
  try {
    const columns = await kind.designSchema(ctx, parsed.data);
    return columns ? { ...base, columns, origin: 'design', ...(lineage ? { lineage } : {}) } : await fallback();
  } catch (error) {
    // A SQL block's binder or parser error is the point: flag it at its line. Anything else (a URL that cannot be
    // reached now) only means the columns come from the last run.
    if (error instanceof UserError && kind.code !== 'none') {
      const { line, column } = error.place;
      return {
        ...base,
        columns: null,
        origin: 'none',
        problems: [{ message: error.message, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) }],
      };
    }
    return fallback(`could not read its columns: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** An export upstream only orders a block: it has no output to read. */
function isOrderOnly(pipeline: Pipeline, id: string): boolean {
  const block = pipeline.blocks.find((b) => b.id === id);
  return block?.type === 'export' || block?.type === 'sensor';
}
