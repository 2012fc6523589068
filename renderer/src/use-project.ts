import { useCallback, useEffect, useState } from 'react';
import { useApi } from './api/ApiContext.tsx';
import type { PipelineView } from './api/views.ts';

type Loaded<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; value: T };

/** The project's name and pipeline ids. */
export function useProject(): Loaded<{ name: string; pipelines: string[] }> {
  const api = useApi();
  const [state, setState] = useState<Loaded<{ name: string; pipelines: string[] }>>({ status: 'loading' });
  useEffect(() => {
    Promise.all([api.call<{ project: string }>('app.info'), api.call<{ pipelines: string[] }>('pipelines.list')])
      .then(([info, list]) => setState({ status: 'ready', value: { name: info.project, pipelines: list.pipelines } }))
      .catch((error: unknown) => setState({ status: 'error', message: messageOf(error) }));
  }, [api]);
  return state;
}

/** One pipeline, loaded from disk; its error (a broken pipeline.yaml) is shown instead of a canvas. */
export function usePipeline(pipelineId: string | null): Loaded<PipelineView> {
  const api = useApi();
  const [state, setState] = useState<Loaded<PipelineView>>({ status: 'loading' });
  useEffect(() => {
    if (!pipelineId) return;
    let isCurrent = true;
    setState({ status: 'loading' });
    api
      .call<PipelineView>('pipelines.get', { pipelineId })
      .then((value) => isCurrent && setState({ status: 'ready', value }))
      .catch((error: unknown) => isCurrent && setState({ status: 'error', message: messageOf(error) }));
    return () => {
      isCurrent = false;
    };
  }, [api, pipelineId]);
  return state;
}

/** Starts and cancels runs of one pipeline; `error` is the last refusal (e.g. a missing variable). */
export function useRunActions(pipelineId: string | null, runId: string | null) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(() => {
    if (!pipelineId) return;
    setBusy(true);
    setError(null);
    api
      .call('runs.start', { pipelineId })
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setBusy(false));
  }, [api, pipelineId]);
  const cancel = useCallback(() => {
    if (runId) api.call('runs.cancel', { runId }).catch((e: unknown) => setError(messageOf(e)));
  }, [api, runId]);
  return { run, cancel, busy, error };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
