import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import type { OpenProject } from '../runtime/open-project.ts';
import type { RunEvent } from '../model/run-events.ts';
import type { EmitEvent, HandlersOf } from './api-types.ts';
import { planBackfill, type BackfillEvery, type BackfillInterval } from '../orchestration/backfill-plan.ts';
import { failedIntervals, intervalOrigins, newBackfillId, runBackfill, type BackfillProgress } from '../orchestration/run-backfill.ts';
import { REDACTED } from '../model/redact-variables.ts';
import { intervalWarning } from '../orchestration/interval-usage.ts';

/** Params of the backfill dialog's methods; contract.ts lists them among its methods. */

const id = z.string().min(1).max(200);
const day = z.string().max(20);
const every = z.enum(['day', 'week', 'month']);
const concurrency = z.number().int().min(1).max(32).default(1);

export const backfillsMethods = {
  /** A dry run: the intervals a backfill would run (and a `warning` when no block reads `{{ ds }}`/`interval_*`), or the planner's error with place.path `from` or `to`. */
  'backfills.plan': z.strictObject({ pipelineId: id, from: day, to: day, every }),
  /** Starts one run per interval (trigger `backfill`); resolves `{ backfillId, total }` once the first run started. Progress: `backfills.progress`. */
  'backfills.start': z.strictObject({
    pipelineId: id,
    from: day,
    to: day,
    every,
    concurrency,
    variables: z.record(z.string(), z.string()).optional(),
  }),
  /** Runs again only the intervals of `backfillId` whose latest run did not succeed, with that backfill's variables; resolves like `backfills.start`. */
  'backfills.retryFailed': z.strictObject({ pipelineId: id, backfillId: id, concurrency }),
} as const;

/** One interval as the dialog previews it (ISO days; `end` is exclusive). */
export interface PlannedInterval {
  start: string;
  end: string;
}

/** What `backfills.progress` carries: run-backfill's progress plus the pipeline, and `finished` after the last run. */
export type BackfillProgressEvent = BackfillProgress & { pipelineId: string; finished: boolean; error?: string };

type Emit = EmitEvent;

/** The backfill methods over an open project; run events and progress go to every shell through `emit`. */
export function createBackfillHandlers(open: OpenProject, emit: Emit) {
  return {
    'backfills.plan': async (p) => {
      const pipeline = await open.loadPipeline(p.pipelineId);
      const intervals = planForDialog(p.from, p.to, p.every);
      const warning = intervalWarning(pipeline);
      return {
        intervals: intervals.map((i) => ({ start: i.label, end: i.end.toISOString().slice(0, 10) })) satisfies PlannedInterval[],
        ...(warning ? { warning } : {}),
      };
    },
    'backfills.start': async (p) =>
      startBackfill(open, emit, {
        pipelineId: p.pipelineId,
        intervals: planForDialog(p.from, p.to, p.every),
        backfillId: newBackfillId(),
        concurrency: p.concurrency,
        variables: p.variables,
      }),
    'backfills.retryFailed': async (p) => {
      const { intervals, variables } = await intervalsToRetry(open, p.pipelineId, p.backfillId);
      return startBackfill(open, emit, {
        pipelineId: p.pipelineId,
        intervals,
        backfillId: p.backfillId,
        concurrency: p.concurrency,
        variables,
      });
    },
  } satisfies HandlersOf<keyof typeof backfillsMethods>;
}

/** The planner, with its CLI flag names turned into the dialog's field names (place.path `from` or `to`). */
function planForDialog(from: string, to: string, every: BackfillEvery): BackfillInterval[] {
  try {
    return planBackfill(from, to, every);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const field = /^--from/.test(error.message) ? 'from' : 'to';
    throw new UserError(error.message.replace(/--(from|to)\b/g, '$1'), { path: field });
  }
}

async function startBackfill(
  open: OpenProject,
  emit: Emit,
  args: {
    pipelineId: string;
    intervals: BackfillInterval[];
    backfillId: string;
    concurrency: number;
    variables: Record<string, string> | undefined;
  },
): Promise<{ backfillId: string; total: number }> {
  const pipeline = await open.loadPipeline(args.pipelineId);
  const { backfillId, pipelineId } = args;
  const total = args.intervals.length;
  let markStarted: () => void = () => undefined;
  let hasStarted = false;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const onEvent = (event: RunEvent) => {
    // Only noted here: every run's events reach the shells through the run launcher (see createApiHandlers).
    if (event.type === 'run.started') {
      hasStarted = true;
      markStarted();
    }
  };
  emit('backfills.progress', { backfillId, pipelineId, total, done: 0, failed: 0, finished: false } satisfies BackfillProgressEvent);
  const finished = runBackfill({
    open,
    pipeline,
    intervals: args.intervals,
    backfillId,
    concurrency: args.concurrency,
    onEvent,
    ...(args.variables ? { variables: args.variables } : {}),
    onProgress: (progress) =>
      emit('backfills.progress', { ...progress, pipelineId, finished: progress.done === total } satisfies BackfillProgressEvent),
  });
  // An error after the first run started reaches the dialog only this way; one before it rejects the call itself.
  finished.catch(
    (error: unknown) =>
      hasStarted &&
      emit('backfills.progress', {
        backfillId,
        pipelineId,
        total,
        done: 0,
        failed: total,
        finished: true,
        error: messageOf(error),
      } satisfies BackfillProgressEvent),
  );
  // Usage errors reject before any run starts: the caller gets them, as with `runs.start`.
  await Promise.race([started, finished]);
  return { backfillId, total };
}

/**
 * The intervals of `backfillId` whose latest run did not succeed, rebuilt from the history (so a retry works after a
 * restart), and the pipeline's own variables of those runs (redacted secrets are resolved again, not replayed).
 */
async function intervalsToRetry(
  open: OpenProject,
  pipelineId: string,
  backfillId: string,
): Promise<{ intervals: BackfillInterval[]; variables: Record<string, string> }> {
  const failed = new Set(failedIntervals(open, pipelineId, backfillId));
  const origins = intervalOrigins(open, pipelineId, backfillId);
  if (failed.size === 0)
    throw new UserError(`backfill ${backfillId} of ${pipelineId} has no failed intervals to retry`, { path: 'backfillId' });
  const declared = new Set(Object.keys((await open.loadPipeline(pipelineId)).spec.variables));
  const byLabel = new Map<string, BackfillInterval>();
  let variables: Record<string, string> = {};
  const runs = open.store
    .listRuns({ pipelineId, limit: 100_000 })
    .filter((r) => r.trigger.kind === 'backfill' && r.trigger.by === backfillId);
  for (const run of runs) {
    const vars = open.store.getRun(run.id)?.variables ?? {};
    const label = String(vars.interval_start ?? '');
    if (!failed.has(label) || byLabel.has(label)) continue;
    byLabel.set(label, {
      label,
      start: new Date(`${label}T00:00:00Z`),
      end: new Date(`${String(vars.interval_end)}T00:00:00Z`),
      origin: origins.get(label) ?? run.id,
    });
    variables = Object.fromEntries(
      Object.entries(vars)
        .filter(([name, value]) => declared.has(name) && value !== REDACTED && value !== null && value !== undefined)
        .map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
    );
  }
  return { intervals: [...byLabel.values()].sort((a, b) => a.label.localeCompare(b.label)), variables };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
