import { createContext, useContext } from 'react';
import type { BlockRunState } from '../api/views.ts';

/** Run state per block, beside the nodes rather than in node.data (which holds only the block's config). */
export const RunStateContext = createContext<{ blocks: Record<string, BlockRunState>; stale: ReadonlySet<string> }>({
  blocks: {},
  stale: new Set(),
});

/** The last or current run's state of one block ('idle' when it has none) and whether edits made it stale. */
export function useBlockRunState(blockId: string): BlockRunState & { isStale: boolean } {
  const { blocks, stale } = useContext(RunStateContext);
  return { ...(blocks[blockId] ?? { status: 'idle' }), isStale: stale.has(blockId) };
}
