import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { RunDetail, RunSummary } from '../../../main/api/contract-views.ts';

export type { RunDetail, RunSummary } from '../../../main/api/contract-views.ts';

/** Reloads at most this often while events flow: a fan-out's steady stream must not postpone the reload forever. */
const RELOAD_EVERY_MS = 300;

/** Calls `load` now and again whenever a run starts or finishes (runs.event), so the screen follows live runs. */
function useRefreshOnRunEvents(load: () => Promise<void>, isPerBlock: boolean): void {
  const api = useApi();
  useEffect(() => {
    void load();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = api.on('runs.event', ({ type }) => {
      if (!isPerBlock && !type.startsWith('run.')) return;
      // Bursts of block events become one reload, RELOAD_EVERY_MS after the first of them (a throttle, not a debounce).
      timer ??= setTimeout(() => {
        timer = undefined;
        void load();
      }, RELOAD_EVERY_MS);
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
      setRuns((await api.call('runs.list', { limit: 500 })).runs);
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
    setRun((await api.call('runs.get', { runId })).run);
  }, [api, runId]);
  useRefreshOnRunEvents(load, true);
  return run;
}
