import { UserError } from './errors.ts';

/**
 * Python's `datetime.strftime` for the directives a data path or file name needs, in UTC (run dates are UTC), so a
 * Mage or Airflow template such as `{{ execution_date.strftime('%Y-%m') }}` renders here as it does there.
 */
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

const DIRECTIVES: Record<string, (d: Date) => string> = {
  Y: (d) => pad(d.getUTCFullYear(), 4),
  y: (d) => pad(d.getUTCFullYear() % 100),
  m: (d) => pad(d.getUTCMonth() + 1),
  d: (d) => pad(d.getUTCDate()),
  H: (d) => pad(d.getUTCHours()),
  M: (d) => pad(d.getUTCMinutes()),
  S: (d) => pad(d.getUTCSeconds()),
  f: (d) => pad(d.getUTCMilliseconds() * 1000, 6),
  j: (d) => pad(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3),
  B: (d) => MONTHS[d.getUTCMonth()] ?? '',
  b: (d) => (MONTHS[d.getUTCMonth()] ?? '').slice(0, 3),
  A: (d) => DAYS[d.getUTCDay()] ?? '',
  a: (d) => (DAYS[d.getUTCDay()] ?? '').slice(0, 3),
  '%': () => '%',
};

/** `value` (a Date, or an ISO date or timestamp string) formatted by `format`; `what` names it in errors. */
export function strftime(value: unknown, format: string, what: string): string {
  const date = toDate(value);
  if (!date) throw new UserError(`${what}: ${JSON.stringify(value)} is not a date (strftime needs YYYY-MM-DD or an ISO timestamp)`);
  return format.replace(/%(.?)/g, (_match, directive: string) => {
    const render = DIRECTIVES[directive];
    if (!render)
      throw new UserError(
        `${what}: unknown strftime directive '%${directive}' in '${format}'; supported: ${Object.keys(DIRECTIVES)
          .map((k) => `%${k}`)
          .join(' ')}`,
      );
    return render(date);
  });
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}(?:$|[T ])/.test(value)) return undefined;
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
