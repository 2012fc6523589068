import type { OpenProject } from '../runtime/open-project.ts';
import { Scheduler } from './scheduler.ts';
import type { SchedulerClock } from './scheduler-activity.ts';

export interface SchedulerOverhead {
  runs: number;
  /** Fire decision → run.started, per run, in ms. */
  latenciesMs: number[];
  medianMs: number;
  maxMs: number;
}

/** A clock that jumps from timer to timer, so a benchmark does not wait for real fire times. */
class JumpingClock implements SchedulerClock {
  private current: number;
  private timer: { at: number; callback: () => void } | undefined;

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    // The scheduler keeps one timer at a time (it re-arms after every pass).
    this.timer = { at: this.current + ms, callback };
    return this.timer;
  }

  clearTimeout(handle: unknown): void {
    if (this.timer === handle) this.timer = undefined;
  }

  /** Jumps to the pending timer and fires it; false when none is pending. */
  jump(): boolean {
    const timer = this.timer;
    if (!timer) return false;
    this.timer = undefined;
    this.current = Math.max(this.current, timer.at);
    timer.callback();
    return true;
  }
}

/**
 * Fires the project's schedule triggers `runs` times on a jumping clock and measures the scheduler's own cost per
 * run: from the fire decision to the run's `run.started` event. Writes trigger cursors at simulated (future) times,
 * so point it at a scratch project, never at one whose schedules matter.
 */
export async function measureSchedulerOverhead(open: OpenProject, runs: number): Promise<SchedulerOverhead> {
  const latencies: number[] = [];
  const clock = new JumpingClock(Date.now());
  // A rescan period of a day keeps the jumps on fire times (every trigger fires at least daily in a benchmark).
  const scheduler = new Scheduler({
    open,
    clock,
    rescanMs: 86_400_000,
    onActivity: (activity) => {
      if (activity.type === 'fired') latencies.push(activity.startLatencyMs);
    },
  });
  try {
    await scheduler.start();
    while (latencies.length < runs && clock.jump()) await scheduler.idle();
  } finally {
    await scheduler.stop();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    runs: latencies.length,
    latenciesMs: latencies,
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
    maxMs: sorted.at(-1) ?? 0,
  };
}
