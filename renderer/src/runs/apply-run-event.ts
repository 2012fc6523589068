import type { BlockTestResult, RunEvent } from '../../../main/model/run-events.ts';
import type { BlockRunState } from '../api/views.ts';
import type { RunState } from './use-run-state.ts';
import { parentOf, tallyChild, withoutChildrenOf } from '../orchestration/children-state.ts';
import { describeBlockError, logLineOfEvent } from '../../../main/model/event-log-lines.ts';

/**
 * The UI's fold over run events: block statuses, rows, durations, progress, tests and the top-level blocks' log, as a new state.
 * A run of part of the pipeline leaves the other blocks showing their last results. Dynamic children are only
 * counted per parent (`state.children`; `state.childStatuses` is updated in place): a fan-out of 100,000 must not
 * copy 100,000 entries per event.
 */
export function applyRunEvent(state: RunState, event: RunEvent): RunState {
  const parent = 'blockId' in event && event.blockId !== null ? parentOf(event.blockId) : null;
  // A child's lines (its failure included) are in its own Logs, on the Children tab: the run's log shows the top-level
  // blocks' lines and one count per fan-out (LogPanel), so 100,000 children neither push them out nor copy the log.
  if (parent !== null && 'blockId' in event && event.blockId !== null) return foldChild(state, event, parent, event.blockId);
  const line = logLineOfEvent(event);
  const logged = line
    ? { ...state, logs: appendLog(state.logs, { id: `${event.runId}-${state.logs.length}`, at: event.at, ...line }) }
    : state;
  return foldEvent(logged, event);
}

/** A child's new status, counted on its parent; progress and log lines of a child change no count. */
function foldChild(state: RunState, event: RunEvent, parent: string, blockId: string): RunState {
  const status = childStatusOf(event);
  if (status === null) return state;
  return { ...state, children: tallyChild(state.children, state.childStatuses, parent, blockId, status) };
}

function childStatusOf(event: RunEvent): string | null {
  switch (event.type) {
    case 'block.added':
      return 'pending';
    case 'block.queued':
      return 'queued';
    case 'block.started':
      return 'running';
    case 'block.succeeded':
      return 'succeeded';
    case 'block.failed':
      return 'failed';
    case 'block.skipped':
      return event.status;
    case 'block.cancelled':
      return 'cancelled';
    default:
      return null;
  }
}

function appendLog(logs: RunState['logs'], line: RunState['logs'][number]): RunState['logs'] {
  return [...logs, line].slice(-2000);
}

function foldEvent(state: RunState, event: RunEvent): RunState {
  const setBlock = (blockId: string, next: BlockRunState): RunState => {
    const runSeq = state.blocks[blockId]?.runSeq;
    return { ...state, blocks: { ...state.blocks, [blockId]: runSeq === undefined ? next : { ...next, runSeq } } };
  };
  switch (event.type) {
    case 'run.started':
      return {
        ...state,
        status: 'running',
        blocks: { ...state.blocks, ...Object.fromEntries(event.blocks.map((id) => [id, { status: 'pending' }])) },
        children: withoutChildrenOf(state.children, state.childStatuses, event.blocks),
      };
    case 'block.queued':
      return setBlock(event.blockId, { status: 'queued' });
    case 'block.started':
      return setBlock(event.blockId, { status: 'running' });
    case 'block.progressed': {
      const { phase, done, total, unit, rate } = event;
      const progress = { phase, done, unit, ...(total !== undefined ? { total } : {}), ...(rate !== undefined ? { rate } : {}) };
      return setBlock(event.blockId, { ...(state.blocks[event.blockId] ?? { status: 'running' }), progress });
    }
    case 'block.succeeded':
      return setBlock(event.blockId, {
        status: 'succeeded',
        durationMs: event.durationMs,
        ...(event.rowsOut !== undefined ? { rowsOut: event.rowsOut } : {}),
        ...(event.bytes !== undefined ? { bytes: event.bytes } : {}),
        ...testsOf(event.tests),
      });
    case 'block.failed':
      return setBlock(event.blockId, {
        status: 'failed',
        durationMs: event.durationMs,
        error: describeBlockError(event.error),
        ...testsOf(event.tests),
      });
    case 'block.skipped':
      return setBlock(event.blockId, { status: event.status });
    case 'block.cancelled':
      return setBlock(event.blockId, { status: 'cancelled' });
    case 'log.written':
      return {
        ...state,
        logs: appendLog(state.logs, {
          id: `${event.runId}-${state.logs.length}`,
          at: event.at,
          blockId: event.blockId,
          level: event.level,
          message: event.message,
        }),
      };
    case 'run.finished':
      return { ...state, status: event.status };
    default:
      return state;
  }
}

function testsOf(tests: BlockTestResult[] | undefined): Pick<BlockRunState, 'tests'> {
  if (!tests || tests.length === 0) return {};
  const passed = tests.filter((t) => t.passed).length;
  const warned = tests.filter((t) => !t.passed && t.severity === 'warn').length;
  return { tests: { passed, failed: tests.length - passed - warned, ...(warned > 0 ? { warned } : {}) } };
}
