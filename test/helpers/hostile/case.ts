import assert from 'node:assert/strict';
import type { ErrorShape } from '../../../main/model/errors.ts';

/** What one hostile input led to: a clear error (its shape), or a success with rows. */
export type Outcome = { error: ErrorShape } | { rows: number | null };

/** What a case must lead to: an error of this kind whose message and place match, or a success. */
export type Expected =
  | { kind: 'user' | 'operational'; message: RegExp; file?: RegExp | string; line?: number; block?: string; path?: string }
  | { ok: true; rows?: number };

export interface HostileCase {
  group: string;
  name: string;
  run(signal: AbortSignal): Promise<Outcome>;
  expect: Expected;
  /** Seconds before the case counts as a hang (default 20). */
  deadline?: number;
}

export type Verdict = 'passed' | 'failed' | 'crash' | 'hang';

/** Whether an error shape is a crash: a bug (internal) or a raw stack trace shown as the message. */
export function isCrash(error: ErrorShape): boolean {
  return error.kind === 'internal' || /\n\s+at .+:\d+:\d+/.test(error.message);
}

/** Checks an outcome against what the case expects; throws an AssertionError naming the difference. */
export function checkOutcome(outcome: Outcome, expected: Expected): void {
  if ('ok' in expected) {
    assert.ok(
      !('error' in outcome),
      `expected success, got ${'error' in outcome ? `${outcome.error.kind}: ${outcome.error.message}` : ''}`,
    );
    if (expected.rows !== undefined) assert.equal((outcome as { rows: number | null }).rows, expected.rows);
    return;
  }
  assert.ok('error' in outcome, `expected a ${expected.kind} error matching ${expected.message}, got success`);
  const { error } = outcome;
  assert.equal(error.kind, expected.kind, `${error.kind}: ${error.message}`);
  assert.match(error.message, expected.message);
  const place = error.place ?? {};
  if (expected.file !== undefined) {
    if (typeof expected.file === 'string') assert.equal(place.file, expected.file, error.message);
    else assert.match(place.file ?? '', expected.file, error.message);
  }
  if (expected.line !== undefined) assert.equal(place.line, expected.line, error.message);
  if (expected.block !== undefined) assert.equal(place.block, expected.block, error.message);
  if (expected.path !== undefined) assert.equal(place.path, expected.path, error.message);
}

/** Runs a case under its deadline: a case that does not settle in time is a hang (its signal is aborted). */
export async function runCase(c: HostileCase): Promise<{ verdict: Verdict; detail?: string }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), (c.deadline ?? 20) * 1000);
  });
  try {
    const outcome = await Promise.race([c.run(controller.signal), deadline]);
    if (outcome === 'hang') {
      controller.abort(new Error('hostile-inputs deadline'));
      return { verdict: 'hang', detail: `no answer in ${c.deadline ?? 20} s` };
    }
    if ('error' in outcome && isCrash(outcome.error)) return { verdict: 'crash', detail: outcome.error.message.slice(0, 500) };
    try {
      checkOutcome(outcome, c.expect);
      return { verdict: 'passed' };
    } catch (error) {
      return { verdict: 'failed', detail: (error as Error).message.slice(0, 800) };
    }
  } catch (error) {
    // The case's own harness threw: the input escaped every error path (a raw TypeError, an assertion…).
    return { verdict: 'crash', detail: error instanceof Error ? (error.stack ?? error.message).slice(0, 800) : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
