import type { StoredOutput } from '../data/stored-outputs.ts';

export interface OutputPolicy {
  /** Outputs kept per block, newest first. */
  keepLast?: number;
  /** Budget for all stored outputs together. */
  maxBytes?: number;
  /**
   * Whether a block exists in the project now (its latest output is then never dropped); `undefined` when that is
   * unknown (a pipeline file that does not load), which protects the output as if it existed.
   */
  isLiveBlock(pipelineId: string, blockId: string): boolean | undefined;
}

/**
 * Picks the outputs to drop: beyond `keepLast` per block (newest kept), then the oldest unprotected ones until the
 * rest fits `maxBytes`. Never picks an output a run in flight holds, nor the latest output of a block that exists.
 * Outputs of blocks no longer in the project are unprotected: a size budget evicts them first, being oldest.
 */
export function chooseOutputsToDrop(outputs: StoredOutput[], policy: OutputPolicy): StoredOutput[] {
  const isProtected = (o: StoredOutput) =>
    o.isHeld || (o.latestOf !== undefined && policy.isLiveBlock(o.latestOf.pipelineId, o.latestOf.blockId) !== false);
  const dropped = new Set<StoredOutput>();
  // 1. Keep the newest `keepLast` of each block.
  if (policy.keepLast !== undefined) {
    for (const group of groupByBlock(outputs).values()) {
      const newestFirst = [...group].sort((a, b) => b.createdAt - a.createdAt);
      for (const output of newestFirst.slice(policy.keepLast)) if (!isProtected(output)) dropped.add(output);
    }
  }
  // 2. Evict the oldest until what is left fits the budget.
  if (policy.maxBytes !== undefined) {
    let total = outputs.filter((o) => !dropped.has(o)).reduce((sum, o) => sum + o.bytes, 0);
    const oldestFirst = outputs.filter((o) => !dropped.has(o) && !isProtected(o)).sort((a, b) => a.createdAt - b.createdAt);
    for (const output of oldestFirst) {
      if (total <= policy.maxBytes) break;
      dropped.add(output);
      total -= output.bytes;
    }
  }
  return outputs.filter((o) => dropped.has(o));
}

/** Outputs by the block whose tables they are. */
function groupByBlock(outputs: StoredOutput[]): Map<string, StoredOutput[]> {
  const groups = new Map<string, StoredOutput[]>();
  for (const output of outputs) groups.set(output.blockKey, [...(groups.get(output.blockKey) ?? []), output]);
  return groups;
}
