import type { RunEvent } from '../model/run-events.ts';
import { formatError } from '../model/errors.ts';
import { rows } from '../engine/block-runner.ts';

/** Writes a run's progress and logs to stderr: plain lines, plus a live progress line on a TTY. */
export function createRunReporter(stream: NodeJS.WriteStream = process.stderr): { onEvent(event: RunEvent): void; done(): void } {
  const isTty = Boolean(stream.isTTY);
  let barShown = false;
  const clearBar = () => {
    if (barShown) stream.write('\r\x1b[2K');
    barShown = false;
  };
  const line = (text: string) => {
    clearBar();
    stream.write(`${text}\n`);
  };
  const stamp = (at: number) => new Date(at).toISOString().slice(11, 19);
  return {
    onEvent(event) {
      switch (event.type) {
        case 'run.started':
          line(`${stamp(event.at)} run ${event.runId} of ${event.pipelineId}: ${event.blocks.join(', ')}`);
          break;
        case 'block.started':
          line(`${stamp(event.at)} ${event.blockId} started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
          break;
        case 'log.written':
          line(`${stamp(event.at)} ${event.blockId ?? 'run'} ${event.level === 'info' ? '' : `${event.level}: `}${event.message}`);
          break;
        case 'block.progressed':
          if (isTty) {
            stream.write(`\r\x1b[2K${event.blockId} ${formatProgress(event)}`);
            barShown = true;
          }
          break;
        case 'block.retrying':
          line(
            `${stamp(event.at)} ${event.blockId} failed (${formatError(event.error)}); retrying in ${(event.delayMs / 1000).toFixed(1)} s`,
          );
          break;
        case 'block.succeeded':
          line(
            `${stamp(event.at)} ${event.blockId} succeeded in ${(event.durationMs / 1000).toFixed(2)} s${event.rowsOut !== undefined ? `, ${rows(event.rowsOut)}` : ''}`,
          );
          break;
        case 'block.failed':
          line(`${stamp(event.at)} ${event.blockId} FAILED: ${formatError(event.error)}`);
          break;
        case 'block.skipped':
          line(`${stamp(event.at)} ${event.blockId} skipped: ${event.reason}`);
          break;
        case 'block.cancelled':
          line(`${stamp(event.at)} ${event.blockId} cancelled`);
          break;
        case 'run.finished':
          line(`${stamp(event.at)} run ${event.status} in ${(event.durationMs / 1000).toFixed(2)} s`);
          break;
        case 'block.queued':
          break;
      }
    },
    done: clearBar,
  };
}

function formatProgress(event: Extract<RunEvent, { type: 'block.progressed' }>): string {
  const fmt = (n: number) => (event.unit === 'bytes' ? `${(n / 1_048_576).toFixed(1)} MB` : n.toLocaleString('en-US'));
  const width = 24;
  const ratio = event.total ? Math.min(1, event.done / event.total) : undefined;
  const bar = ratio === undefined ? '' : `[${'#'.repeat(Math.round(ratio * width)).padEnd(width, '.')}] `;
  const rate = event.rate ? ` ${fmt(event.rate)}/s` : '';
  const eta = ratio !== undefined && event.rate && event.total ? ` ETA ${Math.ceil((event.total - event.done) / event.rate)} s` : '';
  return `${event.phase} ${bar}${fmt(event.done)}${event.total ? ` / ${fmt(event.total)}` : ''}${rate}${eta}`;
}
