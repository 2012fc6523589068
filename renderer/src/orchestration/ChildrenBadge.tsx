import { useContext } from 'react';
import { RunStateContext } from '../canvas/RunStateContext.tsx';
import { describeChildren, summarizeChildren } from './children-state.ts';

/** On a dynamic block's node: how its children (`<block>[n]`) of the last or current run are doing; nothing for other blocks. */
export function ChildrenBadge({ blockId }: { blockId: string }) {
  const { blocks } = useContext(RunStateContext);
  const summary = summarizeChildren(blocks, blockId);
  if (!summary) return null;
  return (
    <span
      className={`children-badge${summary.failed > 0 ? ' is-failing' : ''}`}
      title={`Dynamic children of ${blockId} (${blockId}[0] … [${summary.total - 1}])`}
    >
      {describeChildren(summary)}
    </span>
  );
}
