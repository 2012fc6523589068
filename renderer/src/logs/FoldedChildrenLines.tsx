import type { ChildTally } from '../orchestration/children-state.ts';
import { describeChildren, summarizeTally } from '../orchestration/children-state.ts';

interface Props {
  /** Per fanned-out block, its children counted by status (the run state's `children`). */
  children: Record<string, ChildTally>;
  /** The block the log is filtered to, or null for all. */
  blockId: string | null;
  onShowChildren?: (blockId: string) => void;
}

/**
 * One line per fan-out at the end of the run log, in place of its children's lines (each child's are in its own Logs,
 * on the Children tab): a count, redrawn with the run, whatever the number of children.
 */
export function FoldedChildrenLines({ children, blockId, onShowChildren }: Props) {
  return Object.entries(children)
    .filter(([parent]) => blockId === null || blockId === parent)
    .map(([parent, tally]) => {
      const summary = summarizeTally(tally);
      if (!summary) return null;
      return (
        <li key={`children-${parent}`} className={`log-line log-folded${summary.failed > 0 ? ' level-warn' : ''}`}>
          {/* A count has no time of its own: a hidden time of the same width keeps the columns aligned. */}
          <time className="log-folded-time" aria-hidden="true">
            {new Date().toLocaleTimeString()}
          </time>
          <span className="log-level">{summary.failed > 0 ? 'warn' : 'info'}</span>
          <span className="log-block">{parent}</span>
          <span className="log-message">
            {summary.total.toLocaleString('en-US')} children ({describeChildren(summary)}); each child&apos;s lines are in its Logs
          </span>
          {onShowChildren && (
            <button type="button" className="log-folded-open" onClick={() => onShowChildren(parent)}>
              Show children
            </button>
          )}
        </li>
      );
    });
}
