import { useCallback, useEffect, useState } from 'react';
import type { RunStatus } from '../../../main/model/run-events.ts';
import { useApi } from '../api/ApiContext.tsx';
import type { BlockRunState, LogLine } from '../api/views.ts';
import { applyRunEvent } from './apply-run-event.ts';
import { countEvent } from '../api/event-order.ts';
import { describeBlockError } from '../../../main/model/event-log-lines.ts';

export interface RunState {
  runId: string | null;
  status: RunStatus | null;
  blocks: Record<string, BlockRunState>;
  logs: LogLine[];
}

const EMPTY: RunState = { runId: null, status: null, blocks: {}, logs: [] };

/** The pipeline's latest results (from the last few runs in history), then live: every `runs.event` of a run of this pipeline folds in. */
export function useRunState(pipelineId: string | null): RunState & { moveBlock(from: string | null, to: string): void } {
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
    // After a dropped event stream, history is the truth: runs may have finished while we heard nothing.
    const stopRestored = api.on('connection.restored', () => {
      void loadLatestRun(api, pipelineId).then((latest) => {
        if (isCurrent && latest) setState(latest);
      });
    });
    const stop = api.on('runs.event', (event) => {
      const runSeq = event.type === 'run.started' && event.pipelineId === pipelineId ? countEvent() : 0;
      setState((s) => {
        if (event.type === 'run.started')
          return event.pipelineId === pipelineId
            ? stampRun(applyRunEvent({ ...s, runId: event.runId, logs: [] }, event), event.blocks, runSeq)
            : s;
        return event.runId === s.runId ? applyRunEvent(s, event) : s;
      });
    });
    return () => {
      isCurrent = false;
      stop();
      stopRestored();
    };
  }, [api, pipelineId]);
  /** A renamed block keeps its results (`from` → `to`); a new block (`from` null) shows none of an old one's with its id. */
  const moveBlock = useCallback((from: string | null, to: string) => {
    setState((s) => {
      const blocks = { ...s.blocks };
      const moved = from === null ? undefined : blocks[from];
      if (from !== null) delete blocks[from];
      delete blocks[to];
      if (moved) blocks[to] = moved;
      return { ...s, blocks };
    });
  }, []);
  return { ...state, moveBlock };
}

/** Marks the blocks of a run that just started with its place in the event order (for stale marks). */
function stampRun(state: RunState, blockIds: string[], runSeq: number): RunState {
  const blocks = { ...state.blocks };
  for (const id of blockIds) blocks[id] = { ...(blocks[id] ?? { status: 'pending' }), runSeq };
  return { ...state, blocks };
}

/** Recent runs read on load: a block's shown result is its latest among them (partial runs cover a few blocks). */
const RECENT_RUNS = 5;

async function loadLatestRun(api: ReturnType<typeof useApi>, pipelineId: string): Promise<RunState | null> {
  const { runs } = await api.call('runs.list', { pipelineId, limit: RECENT_RUNS });
  const latest = runs[0];
  if (!latest) return null;
  const [details, { logs }] = await Promise.all([
    Promise.all(runs.map((r) => api.call('runs.get', { runId: r.id }))),
    api.call('runs.logs', { runId: latest.id, limit: 500 }),
  ]);
  const newest = details[0]?.run;
  if (!newest) return null;
  const blocks: Record<string, BlockRunState> = {};
  for (const { run } of details) {
    for (const b of run?.blocks ?? []) {
      if (blocks[b.blockId]) continue;
      blocks[b.blockId] = {
        status: b.status as BlockRunState['status'],
        ...(b.rowsOut !== null ? { rowsOut: b.rowsOut } : {}),
        ...(b.bytes !== null ? { bytes: b.bytes } : {}),
        ...(b.durationMs !== null ? { durationMs: b.durationMs } : {}),
        ...(b.error ? { error: describeBlockError(b.error) } : {}),
      };
    }
  }
  const lines = logs.map((l) => ({ id: `h${l.id}`, at: l.at, blockId: l.blockId, level: l.level, message: l.message }));
  return { runId: newest.id, status: newest.status, blocks, logs: lines };
}
