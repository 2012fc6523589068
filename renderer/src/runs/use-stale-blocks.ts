import { useMemo, useRef } from 'react';
import type { BlockRunState, PipelineView } from '../api/views.ts';

const SETTLED = new Set(['succeeded', 'failed', 'skipped', 'upstream_failed', 'cancelled']);

/**
 * Blocks whose spec or code changed since their last run settled (and everything downstream of them): their shown
 * results no longer describe what the files say. Fingerprints are taken when a result is first seen.
 */
export function useStaleBlocks(view: PipelineView | null, runBlocks: Record<string, BlockRunState>): Set<string> {
  const seen = useRef(new Map<string, { status: string; fingerprint: string }>());
  return useMemo(() => {
    if (!view) return new Set<string>();
    const fingerprints = new Map(view.blocks.map((b) => [b.id, JSON.stringify(b)]));
    const changed = new Set<string>();
    for (const [blockId, run] of Object.entries(runBlocks)) {
      const fingerprint = fingerprints.get(blockId);
      if (fingerprint === undefined) continue;
      if (!SETTLED.has(run.status)) {
        // Running again: the fingerprint is taken afresh when this run settles.
        seen.current.delete(blockId);
        continue;
      }
      const before = seen.current.get(blockId);
      if (!before || before.status !== run.status) seen.current.set(blockId, { status: run.status, fingerprint });
      else if (before.fingerprint !== fingerprint) changed.add(blockId);
    }
    return withDownstream(view, changed, runBlocks);
  }, [view, runBlocks]);
}

function withDownstream(view: PipelineView, changed: Set<string>, runBlocks: Record<string, BlockRunState>): Set<string> {
  const stale = new Set(changed);
  let grew = true;
  while (grew) {
    grew = false;
    for (const block of view.blocks) {
      if (stale.has(block.id) || !block.upstream.some((up) => stale.has(up))) continue;
      if (SETTLED.has(runBlocks[block.id]?.status ?? 'idle')) {
        stale.add(block.id);
        grew = true;
      }
    }
  }
  return stale;
}
