import assert from 'node:assert/strict';
import { tableFromIPC } from 'apache-arrow';
import type { RunEvent } from '../../main/model/run-events.ts';
import type { ProjectRun } from './run-project.ts';

/** Debian's interpreter: it has pandas 1.5 and no pyarrow, so these tests run the CSV exchange. */
export const PYTHON = '/usr/bin/python3';
export const settings = { python: PYTHON };

/** A Python block `id` of `type` with its code at blocks/<id>.py. */
export function py(
  id: string,
  type: 'source' | 'transform' | 'export',
  upstream: string[] = [],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, type, kind: 'python', file: `blocks/${id}.py`, upstream, ...extra };
}

/** Runs the whole pipeline `p`, recording events in ctx.events. */
export async function runAll(ctx: ProjectRun, signal?: AbortSignal, variables?: Record<string, unknown>) {
  return ctx.run({
    pipeline: await ctx.open.loadPipeline('p'),
    scope: { kind: 'pipeline' },
    trigger: { kind: 'test' },
    ...(signal ? { signal } : {}),
    ...(variables ? { variables } : {}),
  });
}

/** The block.failed event of `blockId`; fails the test, showing the block's events, when there is none. */
export function failedEvent(events: RunEvent[], blockId: string): Extract<RunEvent, { type: 'block.failed' }> {
  const failed = events.find((e) => e.type === 'block.failed' && e.blockId === blockId);
  assert.ok(
    failed?.type === 'block.failed',
    `${blockId} did not fail: ${JSON.stringify(events.filter((e) => 'blockId' in e && e.blockId === blockId))}`,
  );
  return failed;
}

/** The log messages of one block, in order. */
export function logsOf(events: RunEvent[], blockId: string): string[] {
  return events.flatMap((e) => (e.type === 'log.written' && e.blockId === blockId ? [e.message] : []));
}

/** Rows of an ad-hoc workspace query, as plain objects. */
export async function query(ctx: ProjectRun, sql: string): Promise<{ rows: Record<string, unknown>[]; types: Record<string, string> }> {
  const result = await ctx.open.workspace.query(sql, { offset: 0, limit: 1000 });
  const rows = tableFromIPC(result.ipc)
    .toArray()
    .map((r) => r.toJSON() as Record<string, unknown>);
  return { rows, types: Object.fromEntries(result.columns.map((c) => [c.name, c.type])) };
}

/** Whether a process with this id exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
