import { randomBytes } from 'node:crypto';

/** A new run id: sortable by start time, unique enough across processes (`r20261121T050102_9f3a1c`). */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
  return `r${stamp}_${randomBytes(3).toString('hex')}`;
}
