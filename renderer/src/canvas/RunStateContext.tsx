import { createContext, useContext } from 'react';
import type { BlockRunState } from '../api/views.ts';
import type { ChildTally } from '../orchestration/children-state.ts';

/** Run state per block, beside the nodes rather than in node.data (which holds only the block's config); dynamic children only as counts per parent. */
export const RunStateContext = createContext<{
  blocks: Record<string, BlockRunState>;
  children: Record<string, ChildTally>;
  stale: ReadonlySet<string>;
}>({
  blocks: {},
  children: {},
  stale: new Set(),
});

/** The last or current run's state of one block ('idle' when it has none) and whether edits made it stale. */
export function useBlockRunState(blockId: string): BlockRunState & { isStale: boolean } {
  const { blocks, stale } = useContext(RunStateContext);
  return { ...(blocks[blockId] ?? { status: 'idle' }), isStale: stale.has(blockId) };
}
