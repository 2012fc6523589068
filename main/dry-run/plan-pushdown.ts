import type { ExportPlan } from '../model/design-types.ts';
import type { ConnectionOverrides } from '../model/connection-profile.ts';
import type { LoadedBlock, Pipeline, Project } from '../model/project.ts';
import { isPushedDown } from '../model/block-engine.ts';
import { UserError } from '../model/errors.ts';
import { resolveConnection } from '../connections/resolve-connection.ts';
import { estimatePushedDown } from '../pushdown/pushdown-block.ts';
import { describeEstimate, formatBytes } from '../pushdown/build-options.ts';

/** Upstream tables appear during the run: before the first one there is nothing to estimate against. */
const MISSING_TABLE = /Not found: Table|relation .* does not exist/;

/** Whether a dry run plans this block as SQL that runs in a warehouse (it writes a warehouse table, as an export does). */
export function isPlannedPushdown(block: LoadedBlock): boolean {
  return block.type === 'transform' && block.kind === 'sql' && isPushedDown(block);
}

/**
 * A pushed-down SQL block in `run --dry-run`: the table it would publish, the statement the warehouse would get, and
 * the warehouse's own estimate (BigQuery dry-run bytes against maximum_bytes_billed, Postgres EXPLAIN). Nothing runs.
 * `config` is the block's config, rendered and checked against the sql kind's schema.
 */
export async function planPushdown(
  project: Project,
  pipeline: Pipeline,
  block: LoadedBlock,
  config: Record<string, unknown>,
  opts: { variables: Record<string, unknown>; overrides?: ConnectionOverrides },
): Promise<ExportPlan> {
  const engine = block.engine === 'bigquery' ? 'bigquery' : 'postgres';
  const ctx = {
    project,
    pipelineId: pipeline.id,
    variables: opts.variables,
    block,
    upstreamBlocks: pipeline.blocks.filter((b) => block.upstream.includes(b.id)),
    connection: (name: string) => resolveConnection(project, name, opts.overrides ? { overrides: opts.overrides } : {}),
  };
  const base = {
    blockId: block.id,
    kind: `transform/sql (${engine})`,
    mode: 'replace after success: a run-scoped table, then an atomic publish',
  };
  try {
    const { estimate, limit, sql, published } = await estimatePushedDown(ctx, config);
    const notes = [describeEstimate(engine, estimate)];
    if (engine === 'bigquery' && limit !== undefined) {
      const bytes = estimate.bytes ?? 0;
      notes.push(
        bytes > limit ? `refused: over maximum_bytes_billed ${formatBytes(limit)}` : `within maximum_bytes_billed ${formatBytes(limit)}`,
      );
    }
    return {
      ...base,
      destination: `${engine} ${published}`,
      ddl: [`CREATE TABLE <run-scoped table> AS\n${sql}`],
      ...(engine === 'bigquery' ? { job: { query: { query: sql, useLegacySql: false }, dryRunBytes: estimate.bytes ?? 0 } } : {}),
      notes,
    };
  } catch (error) {
    if (!(error instanceof UserError) || !MISSING_TABLE.test(error.message)) throw error;
    return {
      ...base,
      destination: `${engine} (an upstream table does not exist yet)`,
      ddl: [],
      notes: ['estimated when the block runs: an upstream table does not exist yet'],
    };
  }
}
