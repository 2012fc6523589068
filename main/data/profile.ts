import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnInfo, ColumnProfile } from '../model/workspace-types.ts';
import { quoteIdent } from './sql-names.ts';

const BINS = 10;
const TOP_VALUES = 10;

/** How a column is summarised: equal-width bins over a number line, or its most frequent values. */
type ColumnKind = { kind: 'integer' | 'real' } | { kind: 'temporal'; label: (micros: number) => string } | { kind: 'categorical' };

interface ColumnStats {
  nonNull: number;
  distinct: number;
  min: string | null;
  max: string | null;
  /** Finite range on the column's number line (micro-seconds for temporal columns), when it is binned. */
  low: number | null;
  high: number | null;
}

/**
 * Per-column profile of `relation`, computed in DuckDB: one scan for counts, approximate distinct counts and
 * min/max, then one statement for all histograms (each reads only its own column).
 */
export async function profileRelation(conn: DuckDBConnection, relation: string): Promise<ColumnProfile[]> {
  const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  const columns: ColumnInfo[] = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  if (columns.length === 0) return [];
  const kinds = columns.map((c) => kindOf(c.type));
  const { total, stats } = await readStats(conn, relation, columns, kinds);
  const histograms = await readHistograms(conn, relation, columns, kinds, stats);
  return columns.map((c, i) => {
    const s = stats[i]!;
    return {
      name: c.name,
      type: c.type,
      nulls: total - s.nonNull,
      distinct: s.distinct,
      min: s.min,
      max: s.max,
      histogram: histograms[i] ?? [],
    };
  });
}

function kindOf(type: string): ColumnKind {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(type)) return { kind: 'integer' };
  if (/^(FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/.test(type)) return { kind: 'real' };
  if (type === 'DATE') return { kind: 'temporal', label: (us) => isoOf(us).slice(0, 10) };
  if (/^TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?$/.test(type))
    return { kind: 'temporal', label: (us) => isoOf(us).slice(0, 19).replace('T', ' ') };
  if (type === 'TIME') return { kind: 'temporal', label: (us) => isoOf(us).slice(11, 19) };
  return { kind: 'categorical' };
}

/** The column as a number for binning (DOUBLE, or epoch micro-seconds), and the condition under which it is finite. */
function numberLine(column: ColumnInfo, kind: ColumnKind): { value: string; finite: string } | undefined {
  const q = quoteIdent(column.name);
  if (kind.kind === 'integer' || kind.kind === 'real') return { value: `${q}::DOUBLE`, finite: `isfinite(${q}::DOUBLE)` };
  // 'infinity' dates and timestamps have no place on a number line; a TIME is always finite.
  if (kind.kind === 'temporal') return { value: `epoch_us(${q})`, finite: column.type === 'TIME' ? `${q} IS NOT NULL` : `isfinite(${q})` };
  return undefined;
}

async function readStats(
  conn: DuckDBConnection,
  relation: string,
  columns: ColumnInfo[],
  kinds: ColumnKind[],
): Promise<{ total: number; stats: ColumnStats[] }> {
  const parts = columns.flatMap((c, i) => {
    const q = quoteIdent(c.name);
    // Nested values (lists, structs, maps) compare and hash reliably as their text.
    const v = kinds[i]!.kind === 'categorical' ? `${q}::VARCHAR` : q;
    const line = numberLine(c, kinds[i]!);
    return [
      `count(${q})`,
      `approx_count_distinct(${v})`,
      `min(${v})::VARCHAR`,
      `max(${v})::VARCHAR`,
      line ? `min(${line.value}) FILTER (WHERE ${line.finite})` : 'NULL',
      line ? `max(${line.value}) FILTER (WHERE ${line.finite})` : 'NULL',
    ];
  });
  const reader = await conn.runAndReadAll(`SELECT count(*), ${parts.join(', ')} FROM ${relation}`);
  const row = reader.getRowsJS()[0] ?? [];
  const stats = columns.map((_c, i) => {
    const at = 1 + i * 6;
    const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      nonNull: Number(row[at]),
      distinct: Number(row[at + 1]),
      min: text(row[at + 2]),
      max: text(row[at + 3]),
      low: num(row[at + 4]),
      high: num(row[at + 5]),
    };
  });
  return { total: Number(row[0]), stats };
}

/** Bin layout for a binned column: start and width on its number line; integers get whole-number bins. */
function binLayout(kind: ColumnKind, low: number, high: number): { width: number; count: number } {
  if (kind.kind === 'integer') {
    const width = Math.max(1, Math.ceil((high - low + 1) / BINS));
    return { width, count: Math.ceil((high - low + 1) / width) };
  }
  return { width: high > low ? (high - low) / BINS : 1, count: high > low ? BINS : 1 };
}

async function readHistograms(
  conn: DuckDBConnection,
  relation: string,
  columns: ColumnInfo[],
  kinds: ColumnKind[],
  stats: ColumnStats[],
): Promise<{ label: string; count: number }[][]> {
  const queries: string[] = [];
  const layouts = new Map<number, { width: number; count: number }>();
  columns.forEach((c, i) => {
    const kind = kinds[i]!;
    const s = stats[i]!;
    if (s.nonNull === 0) return;
    const q = quoteIdent(c.name);
    const line = numberLine(c, kind);
    if (line && s.low !== null && s.high !== null) {
      const layout = binLayout(kind, s.low, s.high);
      layouts.set(i, layout);
      const bin = `least(floor((${line.value} - ${sqlNumber(s.low)}) / ${sqlNumber(layout.width)}), ${layout.count - 1})::INTEGER`;
      queries.push(`(SELECT ${i} AS col, ${bin}::VARCHAR AS key, count(*) AS n FROM ${relation} WHERE ${line.finite} GROUP BY ALL)`);
    } else if (!line) {
      queries.push(
        `(SELECT ${i} AS col, ${q}::VARCHAR AS key, count(*) AS n FROM ${relation} WHERE ${q} IS NOT NULL ` +
          `GROUP BY ALL ORDER BY n DESC, key LIMIT ${TOP_VALUES})`,
      );
    }
  });
  const histograms: { label: string; count: number }[][] = columns.map(() => []);
  if (queries.length === 0) return histograms;
  const reader = await conn.runAndReadAll(queries.join(' UNION ALL '));
  const counts = new Map<number, Map<string, number>>();
  for (const [col, key, n] of reader.getRowsJS() as [number, string, bigint][]) {
    const layout = layouts.get(col);
    if (!layout) histograms[col]!.push({ label: key, count: Number(n) });
    else counts.set(col, (counts.get(col) ?? new Map()).set(key, Number(n)));
  }
  for (const [i, layout] of layouts) histograms[i] = binsOf(kinds[i]!, stats[i]!, layout, counts.get(i));
  // UNION ALL keeps no order across branches: sort each top-values list again.
  histograms.forEach((h, i) => {
    if (!layouts.has(i)) h.sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  });
  return histograms;
}

function binsOf(
  kind: ColumnKind,
  stats: ColumnStats,
  layout: { width: number; count: number },
  counts: Map<string, number> | undefined,
): { label: string; count: number }[] {
  const low = stats.low ?? 0;
  return Array.from({ length: layout.count }, (_, b) => {
    const start = low + b * layout.width;
    const end = low + (b + 1) * layout.width;
    return { label: binLabel(kind, start, end, layout.width, stats.low === stats.high), count: counts?.get(String(b)) ?? 0 };
  });
}

function binLabel(kind: ColumnKind, start: number, end: number, width: number, isSingleValue: boolean): string {
  if (kind.kind === 'integer') return width === 1 ? String(start) : `${start}–${end - 1}`;
  if (isSingleValue) return kind.kind === 'temporal' ? kind.label(start) : formatReal(start);
  if (kind.kind === 'temporal') return `${kind.label(start)} – ${kind.label(end)}`;
  return `${formatReal(start)} – ${formatReal(end)}`;
}

function formatReal(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function isoOf(micros: number): string {
  return new Date(Math.floor(micros / 1000)).toISOString();
}

/** A JS number as a DuckDB DOUBLE literal (exact: shortest round-trip text). */
function sqlNumber(x: number): string {
  return `${String(x)}::DOUBLE`;
}
