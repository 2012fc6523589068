import { UserError } from '../model/errors.ts';
import type { RunInterval } from '../model/templating.ts';

export type BackfillEvery = 'day' | 'week' | 'month';

/** One run of a backfill: its execution date is the interval's start. */
export interface BackfillInterval extends RunInterval {
  /** `YYYY-MM-DD` of the start, for display and lookups. */
  label: string;
  /** When retrying a failed interval: its first run, whose loads the retry must not repeat (RunScope's origin). */
  origin?: string;
}

const MAX_INTERVALS = 10_000;

/**
 * The intervals of a backfill from `from` to `to`, both inclusive (a month backfill from 2021-01-31 runs
 * Jan 31, Feb 28, Mar 31: each month keeps the start's day, clamped to the month's length). Dates are UTC days.
 */
export function planBackfill(from: string, to: string, every: BackfillEvery): BackfillInterval[] {
  const start = parseDay(from, '--from');
  const end = parseDay(to, '--to');
  if (end < start) throw new UserError(`the range is reversed: --to ${to} is before --from ${from}`);
  const intervals: BackfillInterval[] = [];
  for (let i = 0; ; i++) {
    const intervalStart = step(start, every, i);
    if (intervalStart > end) break;
    if (intervals.length >= MAX_INTERVALS)
      throw new UserError(`the backfill would create more than ${MAX_INTERVALS} runs: use a larger --every or a shorter range`);
    intervals.push({ start: intervalStart, end: step(start, every, i + 1), label: intervalStart.toISOString().slice(0, 10) });
  }
  return intervals;
}

function parseDay(text: string, flag: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== text) throw new UserError(`${flag} ${text} is not a date: use YYYY-MM-DD`);
  return date;
}

/** The `n`th interval start after `start`. Months step from the original day so Jan 31 → Feb 28 → Mar 31. */
function step(start: Date, every: BackfillEvery, n: number): Date {
  if (every === 'day') return new Date(start.getTime() + n * 86_400_000);
  if (every === 'week') return new Date(start.getTime() + n * 7 * 86_400_000);
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + n;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(start.getUTCDate(), lastDay)));
}
