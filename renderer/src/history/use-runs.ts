import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { RunDetail, RunSummary } from '../../../main/api/contract-views.ts';

export type { RunDetail, RunSummary } from '../../../main/api/contract-views.ts';

/** Calls `load` now and again whenever a run starts or finishes (runs.event), so the screen follows live runs. */
function useRefreshOnRunEvents(load: () => Promise<void>, isPerBlock: boolean): void {
  const api = useApi();
  useEffect(() => {
    void load();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = api.on('runs.event', (payload) => {
      const type = (payload as { type?: string }).type ?? '';
      if (!isPerBlock && !type.startsWith('run.')) return;
      // Bursts of block events become one reload.
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 150);
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [api, load, isPerBlock]);
}

/** The newest runs of the project (`runs.list`), kept current. */
export function useRuns() {
  const api = useApi();
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setRuns((await api.call<{ runs: RunSummary[] }>('runs.list', { limit: 500 })).runs);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [api]);
  useRefreshOnRunEvents(load, false);
  return { runs, error };
}

/** One run with its blocks and attempts (`runs.get`), kept current while it runs. */
export function useRun(runId: string) {
  const api = useApi();
  const [run, setRun] = useState<RunDetail | null | undefined>(undefined);
  const load = useCallback(async () => {
    setRun((await api.call<{ run: RunDetail | null }>('runs.get', { runId })).run);
  }, [api, runId]);
  useRefreshOnRunEvents(load, true);
  return run;
}
