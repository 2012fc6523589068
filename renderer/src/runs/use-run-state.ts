import { useEffect, useState } from 'react';
import type { RunEvent, RunStatus } from '../../../main/engine/run-events.ts';
import type { RunDetail, LogRow, RunSummary } from '../../../main/history/run-queries.ts';
import { useApi } from '../api/ApiContext.tsx';
import type { BlockRunState, LogLine } from '../api/views.ts';
import { applyRunEvent } from './apply-run-event.ts';

export interface RunState {
  runId: string | null;
  status: RunStatus | null;
  blocks: Record<string, BlockRunState>;
  logs: LogLine[];
}

const EMPTY: RunState = { runId: null, status: null, blocks: {}, logs: [] };

/** The pipeline's latest run (from history), then live: every `runs.event` of a run of this pipeline folds in. */
export function useRunState(pipelineId: string | null): RunState {
  const api = useApi();
  const [state, setState] = useState<RunState>(EMPTY);
  useEffect(() => {
    setState(EMPTY);
    if (!pipelineId) return;
    let isCurrent = true;
    void loadLatestRun(api, pipelineId).then((latest) => {
      // A live event may have arrived first; it is newer than history.
      if (isCurrent && latest) setState((s) => (s.runId === null ? latest : s));
    });
    const stop = api.on('runs.event', (payload) => {
      const event = payload as RunEvent;
      setState((s) => {
        if (event.type === 'run.started') return event.pipelineId === pipelineId ? applyRunEvent({ ...EMPTY, runId: event.runId }, event) : s;
        return event.runId === s.runId ? applyRunEvent(s, event) : s;
      });
    });
    return () => {
      isCurrent = false;
      stop();
    };
  }, [api, pipelineId]);
  return state;
}

async function loadLatestRun(api: ReturnType<typeof useApi>, pipelineId: string): Promise<RunState | null> {
  const { runs } = await api.call<{ runs: RunSummary[] }>('runs.list', { pipelineId, limit: 1 });
  const summary = runs[0];
  if (!summary) return null;
  const [{ run }, { logs }] = await Promise.all([
    api.call<{ run: RunDetail | null }>('runs.get', { runId: summary.id }),
    api.call<{ logs: LogRow[] }>('runs.logs', { runId: summary.id, limit: 500 }),
  ]);
  if (!run) return null;
  const blocks: Record<string, BlockRunState> = {};
  for (const b of run.blocks) {
    blocks[b.blockId] = {
      status: b.status as BlockRunState['status'],
      ...(b.rowsOut !== null ? { rowsOut: b.rowsOut } : {}),
      ...(b.durationMs !== null ? { durationMs: b.durationMs } : {}),
      ...(b.error ? { error: b.error.message } : {}),
    };
  }
  const lines = logs.map((l) => ({ id: `h${l.id}`, at: l.at, blockId: l.blockId, level: l.level, message: l.message }));
  return { runId: run.id, status: run.status, blocks, logs: lines };
}
