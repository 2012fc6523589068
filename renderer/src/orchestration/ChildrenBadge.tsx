import { useContext } from 'react';
import { RunStateContext } from '../canvas/RunStateContext.tsx';
import { describeChildren, summarizeTally } from './children-state.ts';

/** On a dynamic block's node: how its children (`<block>[n]`) of the last or current run are doing; nothing for other blocks. */
export function ChildrenBadge({ blockId }: { blockId: string }) {
  const { children } = useContext(RunStateContext);
  const summary = summarizeTally(children[blockId]);
  if (!summary) return null;
  return (
    // A line of its own under the stats: `98,969/100,000 ✓, 1,031 failed` does not fit beside rows and duration.
    <div
      className={`children-badge block-node-children${summary.failed > 0 ? ' is-failing' : ''}`}
      title={`Dynamic children of ${blockId} (${blockId}[0] … [${summary.total - 1}]): select the block and open its Children tab`}
    >
      {describeChildren(summary)}
    </div>
  );
}
