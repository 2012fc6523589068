import { useCallback, useEffect, useRef, useState } from 'react';
import type { RunEvent, RunStatus } from '../../../main/model/run-events.ts';
import { useApi } from '../api/ApiContext.tsx';
import type { BlockRunState, LogLine } from '../api/views.ts';
import { applyRunEvent } from './apply-run-event.ts';
import { countEvent } from '../api/event-order.ts';
import { describeBlockError } from '../../../main/model/event-log-lines.ts';
import type { ChildTally } from '../orchestration/children-state.ts';

export interface RunState {
  runId: string | null;
  status: RunStatus | null;
  /** Top-level blocks only: dynamic children are counted in `children`. */
  blocks: Record<string, BlockRunState>;
  /** Per fanned-out block, its children of this run counted by status. */
  children: Record<string, ChildTally>;
  /** The last status seen of each child, the fold's memory (updated in place; never rendered). */
  childStatuses: Map<string, string>;
  logs: LogLine[];
}

export const emptyRunState = (): RunState => ({ runId: null, status: null, blocks: {}, children: {}, childStatuses: new Map(), logs: [] });

/** Events arriving within this window are folded and rendered once: a fan-out sends thousands a second. */
const COALESCE_MS = 100;

/** The pipeline's latest results (from the last few runs in history), then live: every `runs.event` of a run of this pipeline folds in. */
export function useRunState(pipelineId: string | null): RunState & { moveBlock(from: string | null, to: string): void } {
  const api = useApi();
  const [state, setState] = useState<RunState>(emptyRunState);
  // The fold runs here, outside React's updaters (which StrictMode calls twice): childStatuses is updated in place.
  const current = useRef<RunState>(state);
  const commit = useCallback((next: RunState) => {
    current.current = next;
    setState(next);
  }, []);
  useEffect(() => {
    commit(emptyRunState());
    if (!pipelineId) return;
    let isCurrent = true;
    const reload = (always: boolean) =>
      void loadLatestRun(api, pipelineId).then((latest) => {
        // A live event may have arrived first; it is newer than history.
        if (isCurrent && latest && (always || current.current.runId === null)) commit(latest);
      });
    reload(false);
    // After a dropped event stream, history is the truth: runs may have finished while we heard nothing.
    const stopRestored = api.on('connection.restored', () => reload(true));
    const settleChildren = async (runId: string) => {
      const { run } = await api.call('runs.get', { runId });
      if (!isCurrent || !run || current.current.runId !== runId) return;
      const children = Object.fromEntries(run.blocks.flatMap((b) => (b.children ? [[b.blockId, b.children]] : [])));
      commit({ ...current.current, children });
    };
    let pending: { event: RunEvent; runSeq: number }[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      let next = current.current;
      for (const { event, runSeq } of batch) next = foldFor(pipelineId, next, event, runSeq);
      if (next !== current.current) commit(next);
      // Children counted from the middle of a run (the window opened late) are settled from history at its end.
      const finished = batch.find(({ event }) => event.type === 'run.finished' && event.runId === next.runId)?.event.runId;
      if (finished && Object.keys(next.children).length > 0) void settleChildren(finished);
    };
    const stop = api.on('runs.event', (event) => {
      // Counted on arrival, not at the flush: the order of runs across pipelines is the order events came in.
      const runSeq = event.type === 'run.started' && event.pipelineId === pipelineId ? countEvent() : 0;
      pending.push({ event, runSeq });
      timer ??= setTimeout(flush, COALESCE_MS);
    });
    return () => {
      isCurrent = false;
      clearTimeout(timer);
      stop();
      stopRestored();
    };
  }, [api, pipelineId, commit]);
  /** A renamed block keeps its results (`from` → `to`); a new block (`from` null) shows none of an old one's with its id. */
  const moveBlock = useCallback(
    (from: string | null, to: string) => {
      const s = current.current;
      const blocks = { ...s.blocks };
      const moved = from === null ? undefined : blocks[from];
      if (from !== null) delete blocks[from];
      delete blocks[to];
      if (moved) blocks[to] = moved;
      commit({ ...s, blocks });
    },
    [commit],
  );
  return { ...state, moveBlock };
}

/** One event folded into the state of `pipelineId`'s runs: a new run of it takes over, other pipelines' events pass by. */
function foldFor(pipelineId: string, s: RunState, event: RunEvent, runSeq: number): RunState {
  if (event.type === 'run.started')
    return event.pipelineId === pipelineId
      ? stampRun(applyRunEvent({ ...s, runId: event.runId, logs: [] }, event), event.blocks, runSeq)
      : s;
  return event.runId === s.runId ? applyRunEvent(s, event) : s;
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
    api.call('runs.logs', { runId: latest.id, topLevel: true, limit: 500 }),
  ]);
  const newest = details[0]?.run;
  if (!newest) return null;
  const blocks: Record<string, BlockRunState> = {};
  const children: Record<string, ChildTally> = {};
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
      if (b.children) children[b.blockId] = b.children;
    }
  }
  const lines = logs.map((l) => ({ id: `h${l.id}`, at: l.at, blockId: l.blockId, level: l.level, message: l.message }));
  return { runId: newest.id, status: newest.status, blocks, children, childStatuses: new Map(), logs: lines };
}
