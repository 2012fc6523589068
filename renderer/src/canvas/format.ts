import type { ProgressUnit } from '../../../main/model/run-events.ts';

/** "1,234,567" in the user's locale. */
export function formatCount(n: number): string {
  return n.toLocaleString();
}

/** "850 ms", "12.3 s", "4 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** "12.4 MB", "3,400 rows", "1 item": an amount of progress in its unit. */
export function formatAmount(n: number, unit: ProgressUnit): string {
  if (unit !== 'bytes') return `${formatCount(Math.round(n))} ${Math.round(n) === 1 ? unit.slice(0, -1) : unit}`;
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

/** "12.4 MB/s · 8 s left": rate and, when the total is known, the time left at that rate. */
export function formatRate(progress: { done: number; total?: number; unit: ProgressUnit; rate?: number }): string {
  if (!progress.rate || progress.rate <= 0) return '';
  const rate = `${formatAmount(progress.rate, progress.unit)}/s`;
  if (progress.total === undefined || progress.total <= progress.done) return rate;
  return `${rate} · ${formatDuration(((progress.total - progress.done) / progress.rate) * 1000)} left`;
}
