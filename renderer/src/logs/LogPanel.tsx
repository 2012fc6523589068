import { useMemo, useState } from 'react';
import type { LogLine } from '../api/views.ts';
import { blocksOfRun, filterLogLines, NO_FILTER, type LogFilter } from './log-filter.ts';
import { LogFilters } from './LogFilters.tsx';
import { useStickToBottom } from './use-stick-to-bottom.ts';
import { FoldedChildrenLines } from './FoldedChildrenLines.tsx';
import type { ChildTally } from '../orchestration/children-state.ts';
import './logs.css';

interface Props {
  logs: LogLine[];
  runId: string | null;
  /** The blocks of the run (those with a state), offered in the block filter even before they log. */
  runBlockIds?: string[];
  /** What to say before any run (e.g. when there is no pipeline to run yet). */
  noRunText?: string;
  /** The run's fan-outs, each shown as one count line instead of its children's lines. */
  childCounts?: Record<string, ChildTally>;
  /** Opens a fanned-out block's Children tab. */
  onShowChildren?: (blockId: string) => void;
}

const NO_BLOCKS: string[] = [];
const NO_CHILDREN: Record<string, ChildTally> = {};

/** The current (or last) run's log, filtered by block, level and text; follows new lines unless scrolled up. */
export function LogPanel({
  logs,
  runId,
  runBlockIds = NO_BLOCKS,
  noRunText = 'No runs yet — press Run pipeline.',
  childCounts = NO_CHILDREN,
  onShowChildren,
}: Props) {
  const [filter, setFilter] = useState<LogFilter>(NO_FILTER);
  const shown = useMemo(() => filterLogLines(logs, filter), [logs, filter]);
  const blockIds = useMemo(() => blocksOfRun(logs, runBlockIds), [logs, runBlockIds]);
  const scroller = useStickToBottom<HTMLOListElement>(shown);
  const isFiltered = shown.length !== logs.length;
  return (
    <section className="log-panel" aria-label="Run log">
      <header className="panel-head log-head">
        <h2>Log</h2>
        <span className="muted log-run">{runId ?? 'no run yet'}</span>
        <LogFilters filter={filter} blockIds={blockIds} onChange={setFilter} />
        <span className="muted log-count" role="status" aria-label="Log line count">
          {isFiltered
            ? `${shown.length.toLocaleString('en-US')} of ${logs.length.toLocaleString('en-US')} lines`
            : `${logs.length.toLocaleString('en-US')} lines`}
        </span>
      </header>
      {/* Focusable, so the keyboard can scroll a long log. */}
      <ol className="log-lines" ref={scroller.ref} onScroll={scroller.onScroll} aria-label="Log lines" tabIndex={0}>
        {shown.length === 0 && <li className="log-empty muted">{runId === null ? noRunText : emptyText(logs.length)}</li>}
        {shown.map((line) => (
          <li key={line.id} className={`log-line level-${line.level}`}>
            <time>{new Date(line.at).toLocaleTimeString()}</time>
            <span className="log-level">{line.level}</span>
            <span className="log-block">{line.blockId ?? 'run'}</span>
            <span className="log-message">{line.message}</span>
          </li>
        ))}
        <FoldedChildrenLines children={childCounts} blockId={filter.blockId} onShowChildren={onShowChildren} />
      </ol>
      {!scroller.isPinned && (
        <button type="button" className="log-jump" onClick={scroller.jumpToEnd}>
          Newest line ↓
        </button>
      )}
    </section>
  );
}

function emptyText(total: number): string {
  return total === 0 ? 'This run has not logged anything yet.' : 'No line matches the filters.';
}
