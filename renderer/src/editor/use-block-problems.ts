import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ErrorShape } from '../../../main/model/errors.ts';
import type { RunEvent } from '../../../main/model/run-events.ts';
import { useApi } from '../api/ApiContext.tsx';
import type { EditorProblem } from './codemirror-setup.ts';

interface RunSummary {
  id: string;
}
interface RunDetail {
  blocks: { blockId: string; status: string; error?: ErrorShape }[];
}

/** How many recent runs to look through for the block's last outcome. */
const RECENT_RUNS = 10;

/** The error of the block's last finished attempt, if it failed: from the history, refreshed as runs finish. */
export function useBlockProblems(pipelineId: string, blockId: string): { error: ErrorShape | null; problems: EditorProblem[] } {
  const api = useApi();
  const [error, setError] = useState<ErrorShape | null>(null);
  const refresh = useCallback(async () => {
    const { runs } = await api.call<{ runs: RunSummary[] }>('runs.list', { pipelineId, limit: RECENT_RUNS });
    for (const summary of runs) {
      const { run } = await api.call<{ run: RunDetail | null }>('runs.get', { runId: summary.id });
      const row = run?.blocks.find((b) => b.blockId === blockId);
      if (!row || (row.status !== 'succeeded' && row.status !== 'failed')) continue;
      setError(row.status === 'failed' ? (row.error ?? null) : null);
      return;
    }
    setError(null);
  }, [api, pipelineId, blockId]);

  useEffect(() => {
    void refresh().catch(() => undefined); // no history yet is the same as no error to show
    return api.on('runs.event', (payload) => {
      const event = payload as RunEvent;
      if (event.type === 'block.failed' && event.blockId === blockId) setError(event.error);
      else if (event.type === 'block.started' && event.blockId === blockId) setError(null);
      else if (event.type === 'run.finished') void refresh().catch(() => undefined); // see above
    });
  }, [api, blockId, refresh]);
  const problems = useMemo(() => problemsOf(error), [error]);
  return { error, problems };
}

/** The error as editor problems: one at its line, when the error knows it. */
export function problemsOf(error: ErrorShape | null): EditorProblem[] {
  const line = error?.place?.line;
  if (!error || line === undefined) return [];
  return [{ line, ...(error.place?.column !== undefined ? { column: error.place.column } : {}), message: error.message }];
}
