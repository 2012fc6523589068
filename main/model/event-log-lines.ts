import type { ErrorShape } from './errors.ts';
import type { LogLevel, RunEvent } from './run-events.ts';

/** A log line that a block event stands for. */
export interface EventLogLine {
  blockId: string;
  level: LogLevel;
  message: string;
}

/**
 * The log line a block's failure, retry or skip stands for, so the log says why a block stopped beside the block's own
 * lines (the run store keeps it with them; the UI adds it live). Null for every other event.
 */
export function logLineOfEvent(event: RunEvent): EventLogLine | null {
  switch (event.type) {
    case 'block.failed':
      return {
        blockId: event.blockId,
        level: 'error',
        message: `failed${event.attempt > 1 ? ` after ${event.attempt} attempts` : ''}: ${describeBlockError(event.error)}`,
      };
    case 'block.retrying':
      return {
        blockId: event.blockId,
        level: 'warn',
        message: `attempt ${event.attempt} failed: ${describeBlockError(event.error)}; retrying in ${(event.delayMs / 1000).toFixed(1)} s`,
      };
    case 'block.skipped':
      return { blockId: event.blockId, level: 'info', message: `skipped: ${event.reason}` };
    default:
      return null;
  }
}

/**
 * A block's error for places that already name the block (its log line, its node): `file:line:col: message`, or
 * `config.path: message`, or the message alone.
 */
export function describeBlockError(error: ErrorShape): string {
  const p = error.place;
  if (!p) return error.message;
  const file = p.file ? [p.file, p.line, p.column].filter((x) => x !== undefined).join(':') : '';
  // Loader messages already start with `file:line:col`: do not say the place twice.
  if (p.file && error.message.startsWith(`${p.file}:`)) return error.message;
  const where = [file, p.path].filter(Boolean).join(' at ');
  return where ? `${where}: ${error.message}` : error.message;
}
