import type { RunEvent } from '../model/run-events.ts';
import { formatError } from '../model/errors.ts';
import { rows } from '../engine/block-runner.ts';
import { parseChildId } from '../model/child-ids.ts';
import { FanOutTally } from './fan-out-tally.ts';

/** How often a fan-out's count is redrawn on a terminal, and written as a line elsewhere (a CI log still sees it move). */
const TTY_PROGRESS_MS = 1000;
const LOG_PROGRESS_MS = 30_000;
/** The events a block ends with: a fanned-out block's children's summary goes before them. */
const ENDS = new Set<RunEvent['type']>(['block.succeeded', 'block.failed', 'block.cancelled', 'block.skipped']);

/**
 * Writes a run's progress and logs to stderr: plain lines, plus a live progress line on a TTY. A fan-out's children are
 * counted, not printed (`isVerbose` prints every child's lines): a count while they run, and at the end a summary with
 * the first failed children.
 */
export function createRunReporter(
  stream: NodeJS.WriteStream = process.stderr,
  opts: { isVerbose?: boolean } = {},
): { onEvent(event: RunEvent): void; done(): void } {
  const isTty = Boolean(stream.isTTY);
  let barShown = false;
  let runId = '';
  const tallies = new Map<string, FanOutTally>();
  let progressShownAt = -Infinity;
  const clearBar = () => {
    if (barShown) stream.write('\r\x1b[2K');
    barShown = false;
  };
  const line = (text: string) => {
    clearBar();
    stream.write(`${text}\n`);
  };
  const stamp = (at: number) => new Date(at).toISOString().slice(11, 19);
  const showProgress = (tally: FanOutTally, at: number) => {
    if (at - progressShownAt < (isTty ? TTY_PROGRESS_MS : LOG_PROGRESS_MS)) return;
    progressShownAt = at;
    if (!isTty) return line(`${stamp(at)} ${tally.progress()}`);
    stream.write(`\r\x1b[2K${tally.progress()}`);
    barShown = true;
  };
  /** True when the event was a fan-out's (a child's, or its parent's count of them) and is folded into its tally. */
  const foldFanOut = (event: RunEvent): boolean => {
    if (opts.isVerbose || !('blockId' in event) || event.blockId === null) return false;
    const { blockId } = event;
    if (event.type === 'block.progressed' && event.phase === 'children' && tallies.has(blockId)) {
      const tally = tallies.get(blockId) as FanOutTally;
      tally.total = event.total;
      showProgress(tally, event.at);
      return true;
    }
    const parent = parseChildId(blockId)?.blockId;
    if (parent === undefined) return false;
    let tally = tallies.get(parent);
    if (!tally && event.type === 'block.added') {
      tallies.set(parent, (tally = new FanOutTally(parent)));
      // Off a terminal the first count comes after a while, not as `0 children done`.
      if (!isTty) progressShownAt = event.at;
    }
    if (!tally) return false;
    const now = tally.onChildEvent(event as RunEvent & { blockId: string });
    if (now !== null) line(`${stamp(event.at)} ${now}`);
    showProgress(tally, event.at);
    return true;
  };
  /** A fanned-out block ended (or the run did): its children's summary goes before its own line. */
  const summarize = (blockId: string | null, at: number) => {
    for (const tally of blockId === null ? [...tallies.values()] : [tallies.get(blockId)]) {
      if (!tally) continue;
      tallies.delete(tally.parentId);
      const [head, ...rest] = tally.summary(runId);
      line(`${stamp(at)} ${head}`);
      for (const text of rest) line(text);
    }
  };
  return {
    onEvent(event) {
      if (foldFanOut(event)) return;
      if (event.type === 'run.finished') summarize(null, event.at);
      else if (ENDS.has(event.type) && 'blockId' in event) summarize(event.blockId, event.at);
      switch (event.type) {
        case 'run.started':
          runId = event.runId;
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
