import type { RunEvent } from '../model/run-events.ts';
import { parseChildId } from '../model/child-ids.ts';
import { describeBlockError } from '../model/event-log-lines.ts';

/** Failed children listed by name at the end of a fan-out; the rest are counted, with the command that lists them. */
export const LISTED_FAILURES = 20;
/** Children's warnings and errors printed as they come; the rest are counted. */
const PRINTED_WARNINGS = 20;

interface Failure {
  childId: string;
  item: string | undefined;
  error: string;
}

/**
 * One fanned-out block's children, counted instead of printed: `pipewright run` writes a few lines per fan-out, not
 * four per child. Memory stays bounded at 100,000 children: only running children's items and the first failures are kept.
 */
export class FanOutTally {
  total: number | undefined;
  done = 0;
  private readonly byStatus = new Map<string, number>();
  private readonly items = new Map<string, string>();
  private readonly failures: Failure[] = [];
  private failed = 0;
  /** The lowest index of a failed child not listed by name (children end out of order): where the hint's page starts. */
  private firstUnlisted = Infinity;
  private childWarnings = 0;

  constructor(readonly parentId: string) {}

  /** Folds one event of a child; returns a line to print now (one of a child's first warnings), else null. */
  onChildEvent(event: RunEvent & { blockId: string }): string | null {
    switch (event.type) {
      case 'log.written':
        // The engine logs each child's item first (`item 3: {"month":3}`): kept until the child ends, to name it if it fails.
        if (event.level === 'info' && !this.items.has(event.blockId) && event.message.startsWith('item '))
          this.items.set(event.blockId, event.message.slice(event.message.indexOf(': ') + 2));
        if (event.level !== 'warn' && event.level !== 'error') return null;
        return ++this.childWarnings <= PRINTED_WARNINGS ? `${event.blockId} ${event.level}: ${event.message}` : null;
      case 'block.succeeded':
        this.end(event.blockId, 'succeeded');
        return null;
      case 'block.failed':
        this.failed++;
        if (this.failures.length >= LISTED_FAILURES)
          this.firstUnlisted = Math.min(this.firstUnlisted, parseChildId(event.blockId)?.index ?? 0);
        else this.failures.push({ childId: event.blockId, item: this.items.get(event.blockId), error: describeBlockError(event.error) });
        this.end(event.blockId, 'failed');
        return null;
      case 'block.skipped':
        this.end(event.blockId, event.status.replace('_', ' '));
        return null;
      case 'block.cancelled':
        this.end(event.blockId, 'cancelled');
        return null;
      default:
        return null;
    }
  }

  /** `each: 7,412/10,000 children done, 3 failed`. */
  progress(): string {
    const total = this.total === undefined ? '' : `/${n(this.total)}`;
    return `${this.parentId}: ${n(this.done)}${total} children done${this.failed > 0 ? `, ${n(this.failed)} failed` : ''}`;
  }

  /** The lines printed when the fanned-out block ends: the counts, then the first failed children and where the rest are. */
  summary(runId: string): string[] {
    const counts = [...this.byStatus].map(([status, count]) => `${n(count)} ${status}`).join(', ');
    const total = Math.max(this.total ?? 0, this.done);
    const lines = [`${this.parentId}: ${n(total)} children${this.done < total ? `, ${n(this.done)} done` : ''}: ${counts || 'none ended'}`];
    for (const f of this.failures) lines.push(`  ${f.childId} FAILED${f.item === undefined ? '' : ` (item ${f.item})`}: ${f.error}`);
    const unlisted = this.failed - this.failures.length;
    if (unlisted > 0)
      lines.push(
        `  … and ${n(unlisted)} more failed: pipewright history ${runId} --children ${this.parentId} --failed --from ${this.firstUnlisted}`,
      );
    const unprinted = this.childWarnings - PRINTED_WARNINGS;
    if (unprinted > 0) lines.push(`  … and ${n(unprinted)} more warnings of children: pipewright history ${runId} --logs ${this.parentId}`);
    return lines;
  }

  private end(childId: string, status: string): void {
    this.items.delete(childId);
    this.done++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }
}

function n(count: number): string {
  return count.toLocaleString('en-US');
}
