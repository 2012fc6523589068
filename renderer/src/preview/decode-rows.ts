import { tableFromIPC } from 'apache-arrow';
import type { ColumnInfo } from '../../../main/model/workspace-types.ts';

/** Characters a grid cell keeps: it shows one line, and a 10 MB text must not sit in the DOM. */
export const CELL_CHARS = 300;
/** Bytes of a binary value shown as hex in a cell. */
const CELL_HEX_BYTES = 12;
/** Bytes of a binary value shown as hex when a cell is opened in full. */
const FULL_HEX_BYTES = 65_536;

/** Decodes one window of Arrow IPC into display strings (clipped for cells), row by row. */
export function decodeRows(ipc: Uint8Array, columns: ColumnInfo[]): string[][] {
  const table = tableFromIPC(ipc);
  const vectors = columns.map((_c, i) => table.getChildAt(i));
  const rows: string[][] = [];
  for (let r = 0; r < table.numRows; r++) rows.push(columns.map((c, i) => formatCell(vectors[i]?.get(r), c.type)));
  return rows;
}

/** The first row's value of column `index` in full (the "open cell" view), as text. */
export function decodeFullValue(ipc: Uint8Array, column: ColumnInfo, index: number): string {
  const table = tableFromIPC(ipc);
  return formatValue(table.getChildAt(index)?.get(0), column.type, { isFull: true });
}

/** One cell as text: NULL for null, ISO for times, binary as hex and size, nested values as JSON, long texts clipped. */
export function formatCell(value: unknown, type: string): string {
  return formatValue(value, type, { isFull: false });
}

function formatValue(value: unknown, type: string, opts: { isFull: boolean }): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' && /^(TIMESTAMP|DATE)/.test(type)) return formatTemporal(value, type);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return formatBytes(value, opts.isFull ? FULL_HEX_BYTES : CELL_HEX_BYTES);
  const text = typeof value === 'object' ? toJsonText(value) : String(value);
  return opts.isFull || text.length <= CELL_CHARS ? text : `${text.slice(0, CELL_CHARS)}…`;
}

function formatTemporal(value: number, type: string): string {
  const iso = new Date(value).toISOString();
  return type === 'DATE' ? iso.slice(0, 10) : iso.replace('T', ' ').replace(/\.000Z$|Z$/, '');
}

/** `0x0a1b2c… (1,024 bytes)`: enough to recognise a value without rendering all of it. */
export function formatBytes(bytes: Uint8Array, maxBytes: number): string {
  let hex = '';
  const shown = Math.min(bytes.byteLength, maxBytes);
  for (let i = 0; i < shown; i++) hex += (bytes[i] ?? 0).toString(16).padStart(2, '0');
  const more = bytes.byteLength > shown ? '…' : '';
  return `0x${hex}${more} (${bytes.byteLength.toLocaleString('en-US')} bytes)`;
}

/** Structs, lists and maps as JSON-ish text; bigints as digits, bytes as their size. */
function toJsonText(value: object): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
    return v;
  });
}
