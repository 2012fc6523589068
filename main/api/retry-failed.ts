import { UserError } from '../model/errors.ts';
import type { RunScope } from '../model/run-events.ts';
import type { RunInterval } from '../model/templating.ts';
import type { Pipeline } from '../model/project.ts';
import type { OpenProject } from '../runtime/open-project.ts';
import { REDACTED } from '../model/redact-variables.ts';
import { originOf } from '../engine/run-pipeline.ts';

/** What re-running the unfinished part of a run needs: its blocks, variables and dates. */
export interface ResumePlan {
  pipeline: Pipeline;
  scope: Extract<RunScope, { kind: 'blocks' }>;
  variables: Record<string, string>;
  executionDate: Date;
  interval?: RunInterval;
}

/**
 * The blocks of `runId` that did not succeed (failed, cancelled, interrupted, never started), to run again with the
 * run's variables, execution date and interval; the blocks that succeeded are read from their stored outputs.
 * A dynamic block's children are re-run through their parent.
 */
export async function planResume(open: OpenProject, runId: string): Promise<ResumePlan> {
  const run = open.store.getRunOverview(runId);
  if (!run) throw new UserError(`no run ${runId} in this project's history`);
  const toRetry = [...new Set(open.store.blocksToResume(runId).map((id) => id.replace(/\[[^\]]*\]$/, '')))];
  if (toRetry.length === 0) throw new UserError(`every block of run ${runId} succeeded or was skipped: nothing to retry`);
  const pipeline = await open.loadPipeline(run.pipelineId);
  const gone = toRetry.filter((id) => !pipeline.blocks.some((b) => b.id === id));
  if (gone.length > 0)
    throw new UserError(`run ${runId} has blocks the pipeline no longer has (${gone.join(', ')}): run the pipeline instead`);
  // Only the pipeline's own variables are passed (built-ins come from the dates below), and not redacted ones: the
  // pipeline resolves those (secret) variables again rather than use the mask.
  const declared = new Set(Object.keys(pipeline.spec.variables));
  const kept = Object.entries(run.variables).filter(
    ([name, value]) => declared.has(name) && value !== REDACTED && value !== null && value !== undefined,
  );
  const variables = Object.fromEntries(kept.map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]));
  const executionDate = new Date(String(run.variables.execution_date ?? run.startedAt));
  const start = dateOf(run.variables.interval_start);
  const end = dateOf(run.variables.interval_end);
  // A resume of a resume finishes the same logical run: its origin is the first run's.
  const origin = originOf(run.scope) ?? runId;
  return {
    pipeline,
    scope: { kind: 'blocks', blocks: toRetry, origin },
    variables,
    executionDate: Number.isNaN(executionDate.getTime()) ? new Date(run.startedAt) : executionDate,
    ...(start && end ? { interval: { start, end } } : {}),
  };
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(`${value.slice(0, 10)}T00:00:00.000Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
