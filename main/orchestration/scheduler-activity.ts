import type { RunResult } from '../model/engine-types.ts';
import { redactUrlSecrets } from '../model/redact-url.ts';

/** The time the scheduler reads and waits with; tests pass a clock they move by hand. */
export interface SchedulerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The machine's clock. */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface TriggerRef {
  pipelineId: string;
  trigger: string;
}

/** What the scheduler did, for logs (`pipewright schedule`), the UI and benchmarks. */
export type SchedulerActivity =
  | (TriggerRef & { type: 'registered'; nextAt: number | undefined; isEnabled: boolean; isChange: boolean })
  | (TriggerRef & {
      type: 'fired';
      scheduledAt: number;
      runId: string;
      isLate: boolean;
      /** Fire decision → run.started, in ms. */ startLatencyMs: number;
    })
  | (TriggerRef & { type: 'finished'; scheduledAt: number; runId: string; status: RunResult['status']; durationMs: number })
  | (TriggerRef & { type: 'skipped'; scheduledAt: number; reason: string })
  | (TriggerRef & { type: 'missed'; count: number; first: number; last: number; reason: string })
  | (TriggerRef & { type: 'failed'; scheduledAt: number; message: string })
  | { type: 'problem'; pipelineId?: string; message: string };

/** One log line for an activity: `2026-11-21T05:00:00Z daily_etl/daily fired run r_… (scheduled 05:00:00Z)`. */
export function formatActivity(activity: SchedulerActivity, now = Date.now()): string {
  const stamp = iso(now);
  // Messages can quote a URL from a variable or a config: its credentials stay out of the log.
  if (activity.type === 'problem')
    return `${stamp} problem${activity.pipelineId ? ` in pipeline ${activity.pipelineId}` : ''}: ${redactUrlSecrets(activity.message)}`;
  const who = `${activity.pipelineId}/${activity.trigger}`;
  switch (activity.type) {
    case 'registered': {
      const next = !activity.isEnabled
        ? 'disabled'
        : activity.nextAt === undefined
          ? 'the cron never fires'
          : `next fire ${iso(activity.nextAt)}`;
      return `${stamp} ${who} ${activity.isChange ? 'changed; it restarts from now' : 'scheduled'}: ${next}`;
    }
    case 'fired':
      return `${stamp} ${who} started run ${activity.runId} for ${iso(activity.scheduledAt)}${activity.isLate ? ' (catch-up)' : ''}`;
    case 'finished':
      return `${stamp} ${who} run ${activity.runId} ${activity.status} in ${(activity.durationMs / 1000).toFixed(1)} s`;
    case 'skipped':
      return `${stamp} ${who} skipped the fire of ${iso(activity.scheduledAt)}: ${activity.reason}`;
    case 'missed':
      return `${stamp} ${who} ${activity.reason}`;
    case 'failed':
      return `${stamp} ${who} could not start the run for ${iso(activity.scheduledAt)}: ${redactUrlSecrets(activity.message)}`;
  }
}

/** `2026-11-21T05:00:00Z` (no milliseconds: cron times are whole seconds). */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
