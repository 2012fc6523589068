import type { BlockRunState } from '../api/views.ts';

/** A dynamic parent's children (`<parent>[n]`) counted by how they ended or are doing. */
export interface ChildrenSummary {
  total: number;
  succeeded: number;
  failed: number;
  active: number;
}

const CHILD_ID = /^(.+)\[(\d+)\]$/;

/** Counts the children of `parentId` among a run state's blocks; null when the block has none. */
export function summarizeChildren(blocks: Record<string, BlockRunState>, parentId: string): ChildrenSummary | null {
  const summary: ChildrenSummary = { total: 0, succeeded: 0, failed: 0, active: 0 };
  for (const [blockId, state] of Object.entries(blocks)) {
    if (CHILD_ID.exec(blockId)?.[1] !== parentId) continue;
    summary.total++;
    if (state.status === 'succeeded') summary.succeeded++;
    else if (state.status === 'failed' || state.status === 'upstream_failed' || state.status === 'cancelled') summary.failed++;
    else if (state.status !== 'skipped') summary.active++;
  }
  return summary.total > 0 ? summary : null;
}

/** The blocks without the dynamic children of `parents`: a new run of a parent fans out afresh (maybe to fewer items). */
export function withoutChildrenOf(blocks: Record<string, BlockRunState>, parents: readonly string[]): Record<string, BlockRunState> {
  const parentSet = new Set(parents);
  return Object.fromEntries(Object.entries(blocks).filter(([blockId]) => !parentSet.has(CHILD_ID.exec(blockId)?.[1] ?? '')));
}

/** The badge text: `2/3 ✓, 1 failed`, with the running ones while the fan-out is under way. */
export function describeChildren(summary: ChildrenSummary): string {
  const parts = [`${summary.succeeded}/${summary.total} ✓`];
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  if (summary.active > 0) parts.push(`${summary.active} running`);
  return parts.join(', ');
}
