import type { ProgressUpdate } from '../model/block-kind.ts';

const MIN_INTERVAL_MS = 250;

/**
 * Lets at most one progress update through every 250 ms (and always the final one, done === total),
 * returning the rate in units per second since the previous update let through, or undefined to drop it.
 */
export function createProgressThrottle(now: () => number = Date.now): (update: ProgressUpdate) => number | undefined {
  let last: { at: number; done: number; phase: string } | undefined;
  return (update) => {
    const at = now();
    const isFinal = update.total !== undefined && update.done >= update.total;
    if (last && last.phase === update.phase && at - last.at < MIN_INTERVAL_MS && !isFinal) return undefined;
    const rate = last && last.phase === update.phase && at > last.at ? ((update.done - last.done) * 1000) / (at - last.at) : 0;
    last = { at, done: update.done, phase: update.phase };
    return Math.max(0, rate);
  };
}
