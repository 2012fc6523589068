import type { Page } from 'playwright-core';
import type { CallReply, MethodParams, MethodResult } from '../../main/api/api-types.ts';
import type { MethodName } from '../../main/api/contract.ts';
import type { RunSummary } from '../../main/history/run-queries.ts';
import { waitUntil } from './wait-until.ts';

/**
 * Calls the API as the page itself does, so it works on either UI target: Electron's `window.pipewright` bridge,
 * or serve's `POST /api/call` with the page's session cookie. Throws the API's error message on a refusal.
 */
export async function callFromPage<M extends MethodName>(page: Page, method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
  const reply = await page.evaluate(
    async ({ method, params }) => {
      const bridge = (window as { pipewright?: { call(method: string, params: unknown): Promise<unknown> } }).pipewright;
      if (bridge) return bridge.call(method, params);
      const response = await fetch('/api/call', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ method, params }),
      });
      return response.ok ? response.json() : { ok: false, error: { message: `HTTP ${response.status}: ${await response.text()}` } };
    },
    { method, params },
  );
  const answer = reply as CallReply<MethodResult<M>>;
  if (!answer.ok) throw new Error(`${method} failed: ${answer.error.message}`);
  return answer.result;
}

/** The id of the pipeline's newest recorded run (any trigger), or null before its first. */
export async function newestRunId(page: Page, pipelineId: string): Promise<string | null> {
  const { runs } = await callFromPage(page, 'runs.list', { pipelineId, limit: 1 });
  return runs[0]?.id ?? null;
}

/**
 * Waits for a run of the pipeline newer than `previousId` (as `newestRunId` gave it before the click that starts
 * one) to finish, and resolves with it whatever its status: a text already on screen from an earlier run cannot
 * stand in for this one.
 */
export function waitForNewRunToFinish(page: Page, pipelineId: string, previousId: string | null, timeoutMs: number): Promise<RunSummary> {
  return waitUntil(
    async () => {
      const { runs } = await callFromPage(page, 'runs.list', { pipelineId, limit: 1 });
      const [newest] = runs;
      return newest && newest.id !== previousId && newest.status !== 'running' ? newest : undefined;
    },
    { what: `a new run of ${pipelineId} (after ${previousId ?? 'none'}) to finish`, timeoutMs, intervalMs: 200 },
  );
}
