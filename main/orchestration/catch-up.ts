import type { CatchUpPolicy } from '../model/trigger-schema.ts';

/** One fire the scheduler will start, oldest first. */
export interface PlannedFire {
  at: number;
  /** Missed (handled later than the grace period) and run because of catch_up. */
  isLate: boolean;
}

export interface FirePlan {
  toRun: PlannedFire[];
  /** Missed fires the policy drops, oldest first. */
  dropped: number[];
}

/**
 * Splits due fire times (oldest first) into the ones to run and the ones to drop. The newest one is on time when
 * it is at most `graceMs` old; every other one was missed (the process was closed, asleep or busy) and follows
 * `policy`: skip drops them, latest runs only the newest missed one, all runs each of them in order.
 */
export function planFires(due: readonly number[], now: number, policy: CatchUpPolicy, graceMs: number): FirePlan {
  const newest = due.at(-1);
  const onTime = newest !== undefined && now - newest <= graceMs ? newest : undefined;
  const missed = onTime === undefined ? [...due] : due.slice(0, -1);
  const kept = policy === 'all' ? missed : policy === 'latest' ? missed.slice(-1) : [];
  const dropped = missed.slice(0, missed.length - kept.length);
  const toRun: PlannedFire[] = kept.map((at) => ({ at, isLate: true }));
  if (onTime !== undefined) toRun.push({ at: onTime, isLate: false });
  return { toRun, dropped };
}
