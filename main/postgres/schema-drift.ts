import type { ExportColumn } from './postgres-types.ts';

/** A column of an existing Postgres table, its type as `format_type` prints it. */
export interface TargetColumn {
  name: string;
  type: string;
}

export interface Drift {
  added: ExportColumn[];
  removed: TargetColumn[];
  retyped: { name: string; from: string; to: string }[];
  /** `added: a (text); removed: b; retyped: c integer → bigint`, or '' when nothing differs. */
  text: string;
}

/** format_type spells some types longer than we write them. */
const LONG_NAMES: Record<string, string> = {
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  time: 'time without time zone',
  timetz: 'time with time zone',
};

/** Columns the block's output adds, drops or types differently compared with the existing target table. */
export function findDrift(columns: ExportColumn[], existing: TargetColumn[]): Drift {
  const targetTypes = new Map(existing.map((c) => [c.name, c.type]));
  const ours = new Set(columns.map((c) => c.name));
  const added = columns.filter((c) => !targetTypes.has(c.name));
  const removed = existing.filter((c) => !ours.has(c.name));
  const retyped = columns.flatMap((c) => {
    const current = targetTypes.get(c.name);
    const wanted = LONG_NAMES[c.pgType] ?? c.pgType;
    return current !== undefined && current !== wanted ? [{ name: c.name, from: current, to: wanted }] : [];
  });
  const parts = [
    added.length ? `added: ${added.map((c) => `${c.name} (${c.pgType})`).join(', ')}` : '',
    removed.length ? `removed: ${removed.map((c) => c.name).join(', ')}` : '',
    retyped.length ? `retyped: ${retyped.map((r) => `${r.name} ${r.from} → ${r.to}`).join(', ')}` : '',
  ].filter(Boolean);
  return { added, removed, retyped, text: parts.join('; ') };
}
