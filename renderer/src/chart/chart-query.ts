import type { ColumnInfo } from '../../../main/model/workspace-types.ts';
import { quoteIdent } from '../preview/sql-text.ts';

export type ChartKind = 'bar' | 'line' | 'histogram';

/** One point of a chart: a label on the x axis and a count. */
export interface ChartPoint {
  label: string;
  value: number;
}

/** Categories a bar chart shows (the most frequent). */
const BAR_LIMIT = 30;
const HISTOGRAM_BINS = 20;
const LINE_BINS = 100;
/** Distinct values a line over a text column shows, in order. */
const LINE_TEXT_LIMIT = 200;

/** Whether a column lies on a number line (numbers, dates, timestamps): histograms and binned lines need one. */
export function isOrdinal(type: string): boolean {
  return isNumeric(type) || isTemporal(type);
}

function isNumeric(type: string): boolean {
  return /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/.test(type);
}

function isInteger(type: string): boolean {
  return /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/.test(type);
}

function isTemporal(type: string): boolean {
  return /^(DATE|TIMESTAMP)/.test(type);
}

/**
 * The aggregate query behind a chart, run in DuckDB (never all rows in the page): top values for a bar chart,
 * equal-width bins for a histogram, bins (or ordered values, for text) for a line. Columns: label or bin, value.
 */
export function chartSql(kind: ChartKind, relation: string, column: ColumnInfo, filter?: string): string {
  const q = quoteIdent(column.name);
  // The filter goes on lines of its own, as in previews: a trailing `-- comment` must not swallow the rest.
  const where = `WHERE ${q} IS NOT NULL${filter?.trim() ? ` AND (\n${filter}\n)` : ''}`;
  if (kind === 'bar' || !isOrdinal(column.type)) {
    const order = kind === 'bar' ? 'value DESC, label' : 'label';
    const limit = kind === 'bar' ? BAR_LIMIT : LINE_TEXT_LIMIT;
    return `SELECT ${q}::VARCHAR AS label, count(*) AS value FROM ${relation} ${where}\nGROUP BY 1 ORDER BY ${order} LIMIT ${limit}`;
  }
  const bins = kind === 'histogram' ? HISTOGRAM_BINS : LINE_BINS;
  const x = isTemporal(column.type) ? `epoch_ms(${q}::TIMESTAMP)::DOUBLE` : `${q}::DOUBLE`;
  // Whole numbers get whole-number bins: 0..6 is seven bars, not twenty with gaps.
  const width = isInteger(column.type) ? `greatest(ceil((hi - lo + 1) / ${bins}), 1)` : `greatest((hi - lo) / ${bins}, 1e-300)`;
  return [
    `WITH v AS (SELECT ${x} AS x FROM ${relation} ${where}\n), f AS (SELECT x FROM v WHERE isfinite(x)),`,
    `b AS (SELECT min(x) AS lo, max(x) AS hi FROM f), w AS (SELECT lo, hi, ${width} AS width FROM b)`,
    `SELECT least(floor((x - lo) / width), ${bins - 1})::INTEGER AS bin, any_value(lo) AS lo, any_value(hi) AS hi, any_value(width) AS width, count(*) AS value`,
    `FROM f, w GROUP BY bin ORDER BY bin`,
  ].join('\n');
}

/** Query rows as chart points: bins get their start as label (a date for temporal columns), empty bins count 0. */
export function toChartPoints(kind: ChartKind, column: ColumnInfo, rows: Record<string, unknown>[]): ChartPoint[] {
  if (kind === 'bar' || !isOrdinal(column.type)) return rows.map((r) => ({ label: String(r.label), value: Number(r.value) }));
  const bins = kind === 'histogram' ? HISTOGRAM_BINS : LINE_BINS;
  const first = rows[0];
  if (!first) return [];
  const lo = Number(first.lo);
  const hi = Number(first.hi);
  const width = Number(first.width);
  const counts = new Map(rows.map((r) => [Number(r.bin), Number(r.value)]));
  const used = isInteger(column.type) ? Math.min(bins, Math.floor((hi - lo) / width) + 1) : hi > lo ? bins : 1;
  return Array.from({ length: used }, (_, b) => ({ label: binLabel(lo + b * width, column.type), value: counts.get(b) ?? 0 }));
}

function binLabel(start: number, type: string): string {
  if (!isTemporal(type)) return String(Number(start.toPrecision(4)));
  const iso = new Date(start).toISOString();
  return type === 'DATE' ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ');
}
