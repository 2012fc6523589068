import { useMemo, useRef } from 'react';
import type { BlockRunState, PipelineView } from '../api/views.ts';

const SETTLED = new Set(['succeeded', 'failed', 'skipped', 'upstream_failed', 'cancelled']);

/** What a block's shown result was computed from: the block as the last view before its run started showed it. */
interface Baseline {
  runSeq: number;
  fingerprint: string | undefined;
}

/**
 * Blocks whose spec or code changed since their last run read them (and everything downstream of them): their shown
 * results no longer describe what the files say. A view asked for before a run started (`viewSeq` below the run's
 * `runSeq`, see event-order.ts) describes what the run read, even when it arrives after the run ended (a save then
 * Ctrl+Enter); only a view asked for later can make the block stale. Results read from history compare with the
 * first view seen.
 */
export function useStaleBlocks(view: PipelineView | null, viewSeq: number, runBlocks: Record<string, BlockRunState>): Set<string> {
  const baselines = useRef(new Map<string, Baseline>());
  return useMemo(() => {
    if (!view) return new Set<string>();
    const fingerprints = new Map(view.blocks.map((b) => [b.id, JSON.stringify(b)]));
    const changed = new Set<string>();
    for (const [blockId, run] of Object.entries(runBlocks)) {
      const fingerprint = fingerprints.get(blockId);
      if (fingerprint === undefined) continue;
      const runSeq = run.runSeq ?? 0;
      let baseline = baselines.current.get(blockId);
      if (!baseline || baseline.runSeq !== runSeq) baselines.current.set(blockId, (baseline = { runSeq, fingerprint: undefined }));
      if (viewSeq < runSeq || baseline.fingerprint === undefined) baseline.fingerprint = fingerprint;
      else if (SETTLED.has(run.status) && baseline.fingerprint !== fingerprint) changed.add(blockId);
    }
    return withDownstream(view, changed, runBlocks);
  }, [view, viewSeq, runBlocks]);
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
