import { toErrorShape } from '../model/errors.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';
import type { Workspace } from '../data/workspace.ts';
import { qualifiedName } from '../data/sql-names.ts';
import type { ConnectionOverrides } from '../model/connection-profile.ts';
import { resolveConnection } from '../connections/resolve-connection.ts';
import type { ExportPlan, PlanContext } from '../model/design-types.ts';
import { dataUpstreamOf, topologicalOrder } from '../model/plan.ts';
import type { BlockRegistry } from '../model/registry.ts';
import { renderConfig } from '../model/templating.ts';
import { resolveRunVariables } from '../engine/run-variables.ts';
import type { LoadedBlock, Pipeline, Project } from '../model/project.ts';
import { designSchemas } from '../schemas/design-schemas.ts';
import { schemaEnvOf } from '../schemas/stored-columns.ts';
import { isPlannedPushdown, planPushdown } from './plan-pushdown.ts';

/** What a dry run reads: the project's files and kinds, and the workspace's stored outputs (read-only). */
export interface DryRunTarget {
  project: Project;
  kinds: BlockRegistry;
  workspace: Workspace;
}

export interface DryRunReport {
  pipelineId: string;
  /** One plan per export block and per SQL block that runs in a warehouse, in run order; a block whose plan could not be made has `error` instead. */
  exports: (ExportPlan | { blockId: string; kind: string; error: ReturnType<typeof toErrorShape> })[];
}

/**
 * `pipewright run --dry-run` and **Preview export**: for each export block (or only `blockId`), what it would do,
 * told by its kind's planExport from the upstream's stored output (its columns, rows and partitions) and the target
 * as it is now (read, never written). An upstream never run yet gives its design-time columns and no rows.
 */
export async function planExports(
  target: DryRunTarget,
  pipeline: Pipeline,
  opts: { variables?: Record<string, unknown>; overrides?: ConnectionOverrides; blockId?: string; signal?: AbortSignal } = {},
): Promise<DryRunReport> {
  const variables = resolveRunVariables(pipeline, opts.variables ?? {}, {
    runId: 'dry-run',
    pipelineId: pipeline.id,
    executionDate: new Date(),
  });
  const byId = new Map(pipeline.blocks.map((b) => [b.id, b]));
  const exports = topologicalOrder(pipeline.blocks)
    .map((id) => byId.get(id))
    .filter(
      (b): b is LoadedBlock =>
        b !== undefined && (b.type === 'export' || isPlannedPushdown(b)) && (opts.blockId === undefined || b.id === opts.blockId),
    );
  let designed: Map<string, ColumnInfo[] | null> | undefined;
  const designColumns = async (id: string) => {
    designed ??= new Map(
      (await designSchemas(schemaEnvOf(target), pipeline, { variables: opts.variables ?? {} })).map((s) => [s.blockId, s.columns]),
    );
    return designed.get(id) ?? undefined;
  };
  const report: DryRunReport = { pipelineId: pipeline.id, exports: [] };
  for (const block of exports) {
    try {
      report.exports.push(
        isPlannedPushdown(block)
          ? await planPushdown(target.project, pipeline, block, checkedConfig(target, block, variables), {
              variables,
              ...(opts.overrides ? { overrides: opts.overrides } : {}),
            })
          : await planOne(target, pipeline, block, { ...opts, variables, designColumns }),
      );
    } catch (error) {
      report.exports.push({ blockId: block.id, kind: `${block.type}/${block.kind}`, error: toErrorShape(error) });
    }
  }
  return report;
}

async function planOne(
  target: DryRunTarget,
  pipeline: Pipeline,
  block: LoadedBlock,
  opts: {
    variables: Record<string, unknown>;
    overrides?: ConnectionOverrides;
    signal?: AbortSignal;
    designColumns(id: string): Promise<ColumnInfo[] | undefined>;
  },
): Promise<ExportPlan> {
  const kind = target.kinds.get(block.type, block.kind);
  const upstream = dataSourceOf(block, pipeline) ?? '';
  if (!kind?.planExport) {
    return {
      blockId: block.id,
      kind: `${block.type}/${block.kind}`,
      destination: '(its own code decides)',
      mode: '',
      ddl: [],
      notes: [`export/${block.kind} has no dry run: it runs your code`],
    };
  }
  const parsed = kind.configSchema.safeParse(renderConfig(block.config, opts.variables));
  if (!parsed.success)
    throw new Error(`config.${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const stored = upstream ? await target.workspace.latestOutput(pipeline.id, upstream) : undefined;
  const relation = stored ? qualifiedName(pipeline.id, upstream) : undefined;
  const columns = stored
    ? (await target.workspace.preview(pipeline.id, upstream, { offset: 0, limit: 1 })).columns
    : await opts.designColumns(upstream);
  const ctx: PlanContext = {
    project: target.project,
    pipelineId: pipeline.id,
    block,
    variables: opts.variables,
    upstream,
    columns,
    rows: stored?.rows,
    relation,
    queryRows: (sql) => target.workspace.readRows(sql),
    connection: (name) => resolveConnection(target.project, name, opts.overrides ? { overrides: opts.overrides } : {}),
    blockConfig: (id) => {
      const other = pipeline.blocks.find((b) => b.id === id);
      return other ? { kind: other.kind, config: renderConfig(other.config, opts.variables) } : undefined;
    },
    signal: opts.signal ?? new AbortController().signal,
  };
  return kind.planExport(ctx, parsed.data);
}

/** A block's config with variables rendered, checked against its kind's schema. */
function checkedConfig(target: DryRunTarget, block: LoadedBlock, variables: Record<string, unknown>): Record<string, unknown> {
  const kind = target.kinds.get(block.type, block.kind);
  if (!kind) throw new Error(`unknown block kind ${block.type}/${block.kind}`);
  const parsed = kind.configSchema.safeParse(renderConfig(block.config, variables));
  if (!parsed.success)
    throw new Error(`config.${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data as Record<string, unknown>;
}

/** The block whose output an export writes: its data upstream, or (after another export, as a BigQuery load after its GCS export) that export's. */
function dataSourceOf(block: LoadedBlock, pipeline: Pipeline): string | undefined {
  const direct = dataUpstreamOf(block, pipeline.blocks)[0];
  if (direct) return direct;
  const viaExport = pipeline.blocks.find((b) => b.id === block.upstream[0]);
  return viaExport ? dataSourceOf(viaExport, pipeline) : undefined;
}
