import { tableFromIPC } from 'apache-arrow';
import type { ColumnInfo } from '../../../main/data/workspace-types.ts';

/** Decodes one window of Arrow IPC into display strings, row by row; types come from DuckDB's names. */
export function decodeRows(ipc: Uint8Array, columns: ColumnInfo[]): string[][] {
  const table = tableFromIPC(ipc);
  const vectors = columns.map((_c, i) => table.getChildAt(i));
  const rows: string[][] = [];
  for (let r = 0; r < table.numRows; r++) rows.push(columns.map((c, i) => formatCell(vectors[i]?.get(r), c.type)));
  return rows;
}

/** One cell as text: NULL for null, ISO for times, long texts clipped (the cell shows one line anyway). */
export function formatCell(value: unknown, type: string): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' && /^(TIMESTAMP|DATE)/.test(type)) {
    const iso = new Date(value).toISOString();
    return type === 'DATE' ? iso.slice(0, 10) : iso.replace('T', ' ').replace(/\.000Z$|Z$/, '');
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  const text = typeof value === 'object' ? JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) : String(value);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
