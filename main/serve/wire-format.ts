/**
 * How API results travel as JSON over serve: every byte array (Arrow IPC in `outputs.preview`,
 * `workspace.query`) becomes `{ "$bytes": "<base64>" }`. One JSON reply per call keeps the transport as
 * simple as IPC; base64 costs a third more bytes, which a window of a few hundred rows can afford.
 * The renderer's HTTP transport turns the marker back into a Uint8Array.
 */
export const BYTES_KEY = '$bytes';

/** JSON.stringify replacer that writes Uint8Arrays (and Buffers) as base64 markers. */
export function encodeBytes(this: unknown, key: string, value: unknown): unknown {
  const original = key === '' ? value : (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array)
    return { [BYTES_KEY]: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
  return value;
}
