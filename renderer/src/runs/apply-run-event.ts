import type { RunEvent } from '../../../main/engine/run-events.ts';
import type { BlockRunState } from '../api/views.ts';
import type { RunState } from './use-run-state.ts';

/** The UI's fold over run events: block statuses, rows, durations and the log, as a new state. */
export function applyRunEvent(state: RunState, event: RunEvent): RunState {
  const setBlock = (blockId: string, next: BlockRunState): RunState => ({ ...state, blocks: { ...state.blocks, [blockId]: next } });
  switch (event.type) {
    case 'run.started':
      return { ...state, status: 'running', blocks: Object.fromEntries(event.blocks.map((id) => [id, { status: 'pending' }])) };
    case 'block.queued':
      return setBlock(event.blockId, { status: 'queued' });
    case 'block.started':
      return setBlock(event.blockId, { status: 'running' });
    case 'block.succeeded':
      return setBlock(event.blockId, { status: 'succeeded', durationMs: event.durationMs, ...(event.rowsOut !== undefined ? { rowsOut: event.rowsOut } : {}) });
    case 'block.failed':
      return setBlock(event.blockId, { status: 'failed', durationMs: event.durationMs, error: event.error.message });
    case 'block.skipped':
      return setBlock(event.blockId, { status: event.status });
    case 'block.cancelled':
      return setBlock(event.blockId, { status: 'cancelled' });
    case 'log.written':
      return { ...state, logs: [...state.logs, { id: `${event.runId}-${state.logs.length}`, at: event.at, blockId: event.blockId, level: event.level, message: event.message }].slice(-2000) };
    case 'run.finished':
      return { ...state, status: event.status };
    default:
      return state;
  }
}
