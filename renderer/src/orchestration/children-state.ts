import type { ChildCounts } from '../../../main/api/contract-views.ts';

/** How many of one fanned-out block's children are in each state (`runs.get` sends the same shape). */
export type ChildTally = ChildCounts;

/** A dynamic parent's children (`<parent>[n]`) counted by how they ended or are doing. */
export interface ChildrenSummary {
  total: number;
  succeeded: number;
  failed: number;
  active: number;
}

const CHILD_ID = /^(.+)\[(\d+)\]$/;
/** States a child ended in without succeeding: what "failed only" shows, here and in `pipewright history --failed`. */
export const FAILED_STATES = ['failed', 'upstream_failed', 'cancelled', 'interrupted'] as const;

/** The parent of a dynamic child (`each[12]` → `each`), or null for a top-level block. */
export function parentOf(blockId: string): string | null {
  return CHILD_ID.exec(blockId)?.[1] ?? null;
}

/** The badge's three groups from a tally; null when the block has no children. */
export function summarizeTally(tally: ChildTally | undefined): ChildrenSummary | null {
  if (!tally || tally.total === 0) return null;
  const count = (statuses: readonly string[]) =>
    statuses.reduce((sum, s) => sum + (tally.byStatus[s as keyof ChildTally['byStatus']] ?? 0), 0);
  const succeeded = count(['succeeded']);
  const failed = count(FAILED_STATES);
  return { total: tally.total, succeeded, failed, active: tally.total - succeeded - failed - count(['skipped']) };
}

/**
 * Moves one child from the state `statuses` last saw it in to `status`, in place in `statuses` and in a new tallies
 * object (only its parent's tally is new): a fan-out of 100,000 costs a few map operations per event, not a copy.
 */
export function tallyChild(
  tallies: Record<string, ChildTally>,
  statuses: Map<string, string>,
  parent: string,
  blockId: string,
  status: string,
): Record<string, ChildTally> {
  const before = statuses.get(blockId);
  if (before === status) return tallies;
  statuses.set(blockId, status);
  const tally = tallies[parent] ?? { total: 0, byStatus: {} };
  const byStatus: Record<string, number> = { ...tally.byStatus };
  if (before !== undefined) byStatus[before] = Math.max(0, (byStatus[before] ?? 0) - 1);
  byStatus[status] = (byStatus[status] ?? 0) + 1;
  return { ...tallies, [parent]: { total: tally.total + (before === undefined ? 1 : 0), byStatus } };
}

/** The tallies and statuses without the children of `parents`: a new run of a parent fans out afresh (maybe to fewer items). */
export function withoutChildrenOf(
  tallies: Record<string, ChildTally>,
  statuses: Map<string, string>,
  parents: readonly string[],
): Record<string, ChildTally> {
  const parentSet = new Set(parents);
  for (const blockId of statuses.keys()) if (parentSet.has(parentOf(blockId) ?? '')) statuses.delete(blockId);
  return Object.fromEntries(Object.entries(tallies).filter(([parent]) => !parentSet.has(parent)));
}

/** The badge text: `2/3 ✓, 1 failed`, with the running ones while the fan-out is under way. */
export function describeChildren(summary: ChildrenSummary): string {
  const parts = [`${summary.succeeded.toLocaleString('en-US')}/${summary.total.toLocaleString('en-US')} ✓`];
  if (summary.failed > 0) parts.push(`${summary.failed.toLocaleString('en-US')} failed`);
  if (summary.active > 0) parts.push(`${summary.active.toLocaleString('en-US')} running`);
  return parts.join(', ');
}
