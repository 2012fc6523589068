import { Cron } from 'croner';

/**
 * Fire times of a cron expression in a time zone. Croner handles DST: a local time skipped in spring fires at the
 * first valid instant after it (02:30 → 03:00), and a local time repeated in autumn fires once (the first one).
 */
export interface CronClock {
  /** The first fire strictly after `after`, or undefined when the expression never fires again. */
  nextAfter(after: number): number | undefined;
  /** The next `count` fires strictly after `after`. */
  nextTimes(count: number, after: number): number[];
  /** The `count` latest fires at or before `atOrBefore`, oldest first. */
  latestTimes(count: number, atOrBefore: number): number[];
}

/** A CronClock for `expression` read in `timezone` (already validated by the trigger schema). */
export function cronClock(expression: string, timezone: string): CronClock {
  const cron = new Cron(expression, { timezone, paused: true });
  const nextAfter = (after: number) => cron.nextRun(new Date(after))?.getTime();
  return {
    nextAfter,
    nextTimes: (count, after) => cron.nextRuns(count, new Date(after)).map((d) => d.getTime()),
    // previousRuns looks strictly before its reference: one millisecond later includes a fire at `atOrBefore`.
    latestTimes: (count, atOrBefore) =>
      cron
        .previousRuns(count, new Date(atOrBefore + 1))
        .map((d) => d.getTime())
        .reverse(),
  };
}

/**
 * Fire times in (`after`, `until`], oldest first, at most `limit` of them. When there are more, `more` is true and
 * the times are the latest `limit` ones (recent data matters most when a long outage is caught up).
 */
export function fireTimesBetween(clock: CronClock, after: number, until: number, limit: number): { times: number[]; more: boolean } {
  const times: number[] = [];
  let cursor = after;
  while (times.length <= limit) {
    const next = clock.nextAfter(cursor);
    if (next === undefined || next > until) return { times, more: false };
    times.push(next);
    cursor = next;
  }
  return { times: clock.latestTimes(limit, until).filter((t) => t > after), more: true };
}
