import { useCallback, useEffect, useRef, useState } from 'react';
import type { RunScope } from '../../main/model/run-events.ts';
import { useApi } from './api/ApiContext.tsx';
import type { PipelineView } from './api/views.ts';
import { countEvent, eventsHeard } from './api/event-order.ts';
import { runVariablesFor, type VariableSpec } from './runs/run-variables.ts';

export type Loaded<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; value: T };

/** The project as the workbench shows it. */
export interface ProjectInfo {
  name: string;
  pipelines: string[];
  /** Connection name per connector type (pipewright.yaml's default_connections). */
  defaultConnections: Record<string, string>;
}

/** The project's name, pipeline ids and default connections; the list follows pipelines created here or on disk. */
export function useProject(): Loaded<ProjectInfo> & { reload(): void } {
  const api = useApi();
  const [state, setState] = useState<Loaded<ProjectInfo>>({ status: 'loading' });
  const reload = useCallback(() => {
    Promise.all([api.call('app.info'), api.call('pipelines.list'), api.call('project.get').catch(() => ({ defaultConnections: {} }))])
      .then(([info, list, project]) =>
        setState({
          status: 'ready',
          value: { name: info.project, pipelines: list.pipelines, defaultConnections: project.defaultConnections },
        }),
      )
      .catch((error: unknown) => setState({ status: 'error', message: messageOf(error) }));
  }, [api]);
  useEffect(() => {
    reload();
    const stopRestored = api.on('connection.restored', reload);
    const stopChanged = api.on('pipelines.changed', ({ pipelineId }) => {
      setState((s) => {
        if (s.status === 'ready' && !s.value.pipelines.includes(pipelineId)) reload();
        return s;
      });
    });
    return () => {
      stopRestored();
      stopChanged();
    };
  }, [api, reload]);
  return { ...state, reload };
}

/**
 * One pipeline, loaded from disk and reloaded when its files change (here or in another editor). A broken file
 * shows its error instead of a canvas until it is fixed. `seq`: the events heard when the shown view was asked for.
 */
export function usePipeline(pipelineId: string | null): Loaded<PipelineView> & { reload(): void; seq: number } {
  const api = useApi();
  const [state, setState] = useState<Loaded<PipelineView> & { seq?: number }>({ status: 'loading' });
  const loadedVersion = useRef<string | null>(null);
  const request = useRef(0);
  const reload = useCallback(() => {
    if (!pipelineId) return;
    const ticket = ++request.current;
    const seq = eventsHeard();
    api
      .call('pipelines.get', { pipelineId })
      .then((value) => {
        if (ticket !== request.current) return;
        loadedVersion.current = value.version;
        setState({ status: 'ready', value, seq });
      })
      .catch((error: unknown) => {
        if (ticket !== request.current) return;
        loadedVersion.current = null;
        setState({ status: 'error', message: messageOf(error) });
      });
  }, [api, pipelineId]);
  useEffect(() => {
    loadedVersion.current = null;
    setState({ status: 'loading' });
    reload();
    const stopRestored = api.on('connection.restored', reload);
    const stopChanged = api.on('pipelines.changed', (change) => {
      if (change.pipelineId !== pipelineId) return;
      countEvent();
      if (change.version !== loadedVersion.current || change.codeChanged) reload();
    });
    return () => {
      stopRestored();
      stopChanged();
    };
  }, [api, pipelineId, reload]);
  return { ...state, reload, seq: state.seq ?? 0 };
}

/** Starts and cancels runs of one pipeline; `error` is the last refusal (e.g. a missing variable). */
export function useRunActions(pipelineId: string | null, runId: string | null, variables: Record<string, VariableSpec> | undefined) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (scope: RunScope = { kind: 'pipeline' }): Promise<string | null> => {
      if (!pipelineId) return null;
      setBusy(true);
      setError(null);
      try {
        const { runId: started } = await api.call('runs.start', { pipelineId, scope, variables: runVariablesFor(pipelineId, variables) });
        return started;
      } catch (e) {
        setError(messageOf(e));
        return null;
      } finally {
        setBusy(false);
      }
    },
    [api, pipelineId, variables],
  );
  const cancelRun = useCallback(
    (id: string) => void api.call('runs.cancel', { runId: id }).catch((e: unknown) => setError(messageOf(e))),
    [api],
  );
  const cancel = useCallback(() => {
    if (runId) cancelRun(runId);
  }, [cancelRun, runId]);
  return { run, cancel, cancelRun, busy, error };
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
