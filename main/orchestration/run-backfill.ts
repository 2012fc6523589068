import { randomBytes } from 'node:crypto';
import type { OpenProject } from '../runtime/open-project.ts';
import type { Pipeline } from '../model/project.ts';
import type { RunResult } from '../model/engine-types.ts';
import type { RunEvent } from '../model/run-events.ts';
import type { BackfillInterval } from './backfill-plan.ts';
import { RunLimitReachedError } from '../runtime/run-limit.ts';
import { originOf } from '../engine/run-pipeline.ts';

/** An interval's outcome: a run's status, or `skipped` when the pipeline's `on_limit: skip` refused to start it. */
type IntervalStatus = RunResult['status'] | 'skipped';

export interface BackfillProgress {
  backfillId: string;
  total: number;
  done: number;
  failed: number;
  last?: { interval: string; status: IntervalStatus; runId: string | null; error?: string };
}

export interface BackfillResult {
  backfillId: string;
  runs: { interval: string; runId: string | null; status: IntervalStatus }[];
}

/** A new backfill id (`bf_…`), recorded as the trigger of each of its runs. */
export function newBackfillId(): string {
  return `bf_${new Date().toISOString().slice(0, 10).replaceAll('-', '')}_${randomBytes(3).toString('hex')}`;
}

/**
 * Runs one pipeline run per interval, at most `concurrency` at once, each with execution_date and the interval set.
 * Resolves when every run has finished; a failed interval does not stop the others. Cancel with `signal`.
 */
export async function runBackfill(args: {
  open: OpenProject;
  pipeline: Pipeline;
  intervals: BackfillInterval[];
  backfillId: string;
  concurrency: number;
  variables?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void;
  onEvent?: (event: RunEvent) => void;
}): Promise<BackfillResult> {
  const { intervals, backfillId } = args;
  const runs: BackfillResult['runs'] = [];
  const progress: BackfillProgress = { backfillId, total: intervals.length, done: 0, failed: 0 };
  let next = 0;
  let hasStarted = false;
  const onEvent = (event: RunEvent) => {
    if (event.type === 'run.started') hasStarted = true;
    args.onEvent?.(event);
  };
  const worker = async () => {
    while (next < intervals.length && !args.signal?.aborted) {
      const interval = intervals[next++] as BackfillInterval;
      let result: { runId: string | null; status: IntervalStatus; error?: string };
      try {
        result = await startInterval({ ...args, onEvent }, interval);
      } catch (error) {
        // Before any run started it is a usage error (the caller gets it); after, one interval failed to start:
        // it counts as failed, so the progress still reaches done === total.
        if (!hasStarted) throw error;
        result = { runId: null, status: 'failed', error: error instanceof Error ? error.message : String(error) };
      }
      runs.push({ interval: interval.label, runId: result.runId, status: result.status });
      progress.done++;
      if (result.status !== 'succeeded') progress.failed++;
      progress.last = {
        interval: interval.label,
        status: result.status,
        runId: result.runId,
        ...(result.error ? { error: result.error } : {}),
      };
      args.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(args.concurrency, intervals.length)) }, worker));
  runs.sort((a, b) => a.interval.localeCompare(b.interval));
  return { backfillId, runs };
}

/** One interval's run; a refusal by the pipeline's run limit (`on_limit: skip`) skips the interval instead of ending the backfill. */
async function startInterval(
  args: Parameters<typeof runBackfill>[0],
  interval: BackfillInterval,
): Promise<{ runId: string | null; status: IntervalStatus }> {
  try {
    return await args.open.run(
      {
        pipeline: args.pipeline,
        scope: interval.origin ? { kind: 'pipeline', origin: interval.origin } : { kind: 'pipeline' },
        trigger: { kind: 'backfill', by: args.backfillId },
        executionDate: interval.start,
        interval,
        ...(args.variables ? { variables: args.variables } : {}),
        ...(args.signal ? { signal: args.signal } : {}),
      },
      args.onEvent,
    );
  } catch (error) {
    if (error instanceof RunLimitReachedError) return { runId: null, status: 'skipped' };
    throw error;
  }
}

/**
 * Each interval's first run in an earlier backfill, by interval label: a retry of the interval runs as that run's
 * continuation (RunScope's origin), so an export that run already committed is not loaded again.
 */
export function intervalOrigins(open: OpenProject, pipelineId: string, backfillId: string): Map<string, string> {
  const origins = new Map<string, string>();
  const runs = open.store
    .listRuns({ pipelineId, limit: 100_000 })
    .filter((r) => r.trigger.kind === 'backfill' && r.trigger.by === backfillId);
  for (const run of [...runs].reverse()) {
    const day = String(open.store.getRun(run.id)?.variables.interval_start ?? '');
    if (day && !origins.has(day)) origins.set(day, originOf(run.scope) ?? run.id);
  }
  return origins;
}

/** The intervals of an earlier backfill whose latest run did not succeed (to retry only those). */
export function failedIntervals(open: OpenProject, pipelineId: string, backfillId: string): string[] {
  const latest = new Map<string, string>();
  const runs = open.store
    .listRuns({ pipelineId, limit: 100_000 })
    .filter((r) => r.trigger.kind === 'backfill' && r.trigger.by === backfillId);
  for (const run of [...runs].reverse()) {
    const detail = open.store.getRun(run.id);
    const day = String(detail?.variables.interval_start ?? '');
    if (day) latest.set(day, run.status);
  }
  return [...latest]
    .filter(([, status]) => status !== 'succeeded')
    .map(([day]) => day)
    .sort();
}
