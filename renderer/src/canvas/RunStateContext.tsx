import { createContext, useContext } from 'react';
import type { BlockRunState } from '../api/views.ts';

/** Run state per block, beside the nodes rather than in node.data (which holds only the block's config). */
export const RunStateContext = createContext<Record<string, BlockRunState>>({});

/** The last or current run's state of one block ('idle' when it has none). */
export function useBlockRunState(blockId: string): BlockRunState {
  return useContext(RunStateContext)[blockId] ?? { status: 'idle' };
}
