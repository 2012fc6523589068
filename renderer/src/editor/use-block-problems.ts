import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ErrorShape } from '../../../main/model/errors.ts';
import { useApi } from '../api/ApiContext.tsx';
import type { EditorProblem } from './codemirror-setup.ts';
import { useBlockSchema } from '../design/DesignContext.tsx';

/** How many recent runs to look through for the block's last outcome. */
const RECENT_RUNS = 10;

/** The error of the block's last finished attempt, if it failed: from the history, refreshed as runs finish. */
export function useBlockProblems(pipelineId: string, blockId: string): { error: ErrorShape | null; problems: EditorProblem[] } {
  const api = useApi();
  const [error, setError] = useState<ErrorShape | null>(null);
  const refresh = useCallback(async () => {
    const { runs } = await api.call('runs.list', { pipelineId, limit: RECENT_RUNS });
    for (const summary of runs) {
      const { run } = await api.call('runs.get', { runId: summary.id });
      const row = run?.blocks.find((b) => b.blockId === blockId);
      if (!row || (row.status !== 'succeeded' && row.status !== 'failed')) continue;
      setError(row.status === 'failed' ? (row.error ?? null) : null);
      return;
    }
    setError(null);
  }, [api, pipelineId, blockId]);

  useEffect(() => {
    void refresh().catch(() => undefined); // no history yet is the same as no error to show
    return api.on('runs.event', (event) => {
      if (event.type === 'block.failed' && event.blockId === blockId) setError(event.error);
      else if (event.type === 'block.started' && event.blockId === blockId) setError(null);
      else if (event.type === 'run.finished') void refresh().catch(() => undefined); // see above
    });
  }, [api, blockId, refresh]);
  // Before any run (or after an edit since the last one), the design-time binding of the SQL finds the same errors.
  const designed = useBlockSchema(blockId)?.problems;
  const problems = useMemo(() => {
    const fromRun = problemsOf(error);
    const fromDesign = (designed ?? []).flatMap((p) =>
      p.line !== undefined ? [{ line: p.line, ...(p.column !== undefined ? { column: p.column } : {}), message: p.message }] : [],
    );
    return fromRun.length > 0 ? fromRun : fromDesign;
  }, [error, designed]);
  return { error, problems };
}

/** The error as editor problems: one at its line, when the error knows it. */
export function problemsOf(error: ErrorShape | null): EditorProblem[] {
  const line = error?.place?.line;
  if (!error || line === undefined) return [];
  return [{ line, ...(error.place?.column !== undefined ? { column: error.place.column } : {}), message: error.message }];
}
