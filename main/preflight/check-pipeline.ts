import { formatError, toErrorShape, UserError } from '../model/errors.ts';
import { renderConfig } from '../model/templating.ts';
import { resolveRunVariables } from '../engine/run-variables.ts';
import { resolveConnection } from '../connections/resolve-connection.ts';
import type { ConnectionOverrides } from '../model/connection-profile.ts';
import type { Pipeline, Project } from '../model/project.ts';
import type { BlockRegistry } from '../model/registry.ts';
import type { Workspace } from '../data/workspace.ts';
import { checkBigQueryExport, checkBigQueryQuery } from './check-bigquery.ts';
import { checkGcsExport } from './check-gcs.ts';
import { checkPostgres } from './check-postgres.ts';
import { checkDataCheckColumns } from './check-data-checks.ts';
import { checkPushdown, isCheckedPushdown } from './check-pushdown.ts';
import { checkPythonItems } from './check-python.ts';
import { fail, type BlockCheck, type CheckEnv, type CheckItem, type PreflightReport } from './check-types.ts';

/** What a check reads: the project's files and kinds, and (when this process holds it) the workspace. */
export interface CheckTarget {
  project: Project;
  kinds: BlockRegistry;
  loadPipeline(id: string): Promise<Pipeline>;
  workspace?: Workspace | undefined;
}

type Checker = (env: CheckEnv, config: never) => Promise<CheckItem[]>;

/** The block kinds preflight knows, by `type/kind`. */
const CHECKERS: Record<string, Checker> = {
  'export/gcs': checkGcsExport as Checker,
  'export/bigquery': checkBigQueryExport as Checker,
  'source/bigquery': checkBigQueryQuery as Checker,
  'export/postgres': ((env, config) => checkPostgres(env, config, true)) as Checker,
  'source/postgres': ((env, config) => checkPostgres(env, config, false)) as Checker,
};

const CLOUD_KINDS = new Set(['export/gcs', 'export/bigquery', 'source/bigquery']);

/** Whether a pipeline has a GCS or BigQuery block, so a run should be checked before its first cloud write. */
export function touchesCloud(pipeline: Pipeline): boolean {
  return pipeline.blocks.some((b) => CLOUD_KINDS.has(`${b.type}/${b.kind}`) || (isCheckedPushdown(b) && b.engine === 'bigquery'));
}

/**
 * Checks every Postgres, GCS and BigQuery block of a pipeline as its run would find them (credentials, project,
 * bucket, dataset and locations, permissions, target schemas, dry-run bytes), and every Python block's interpreter,
 * modules and syntax, without writing or running anything.
 * Resolves with the report; never rejects for what it finds (a failed check is a `fail` item).
 */
export async function checkPipeline(
  open: CheckTarget,
  pipelineId: string,
  opts: { variables?: Record<string, unknown>; overrides?: ConnectionOverrides } = {},
): Promise<PreflightReport> {
  const pipeline = await open.loadPipeline(pipelineId);
  const variables = resolveRunVariables(pipeline, opts.variables ?? {}, { runId: 'preflight', pipelineId, executionDate: new Date() });
  const rendered = (blockId: string) => {
    const block = pipeline.blocks.find((b) => b.id === blockId);
    return block ? { kind: block.kind, config: renderConfig(block.config, variables) } : undefined;
  };
  const blocks: BlockCheck[] = [];
  for (const block of pipeline.blocks) {
    const checker = isCheckedPushdown(block)
      ? (((env: CheckEnv, config: Record<string, unknown>) => checkPushdown(env, config, pipeline.blocks)) as Checker)
      : CHECKERS[`${block.type}/${block.kind}`];
    const kind = open.kinds.get(block.type, block.kind);
    const env: CheckEnv = {
      project: open.project,
      pipelineId,
      variables,
      block,
      connection: (name) => resolveConnection(open.project, name, opts.overrides ? { overrides: opts.overrides } : {}),
      upstreamColumns: async (id) => {
        const workspace = open.workspace;
        if (!workspace || !(await workspace.latestOutput(pipelineId, id))) return undefined;
        return (await workspace.preview(pipelineId, id, { offset: 0, limit: 1 })).columns;
      },
      blockConfig: rendered,
    };
    const items = [
      ...(checker && kind ? await checkBlock(env, kind.configSchema, rendered(block.id)?.config, checker) : []),
      ...(block.checks?.length ? await checkDataCheckColumns(env, block) : []),
      ...(await checkPythonItems(open.project, block)),
    ];
    if ((checker && kind) || items.length > 0) blocks.push({ blockId: block.id, kind: `${block.type}/${block.kind}`, items });
  }
  return { pipelineId, isOk: blocks.every((b) => b.items.every((i) => i.status !== 'fail')), blocks };
}

async function checkBlock(
  env: CheckEnv,
  schema: {
    safeParse(value: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  config: unknown,
  checker: Checker,
): Promise<CheckItem[]> {
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error?.issues[0];
    return [fail('config', `config.${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)];
  }
  try {
    return await checker(env, parsed.data as never);
  } catch (error) {
    if (error instanceof UserError) return [fail('check', error.message)];
    return [fail('check', `the check itself failed: ${formatError(toErrorShape(error))}`)];
  }
}

/** The failed items of a report, one line each, for an error that stops a run. */
export function failuresOf(report: PreflightReport): string[] {
  return report.blocks.flatMap((b) => b.items.filter((i) => i.status === 'fail').map((i) => `${b.blockId}: ${i.name}: ${i.detail}`));
}
