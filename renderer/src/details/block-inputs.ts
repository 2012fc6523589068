import type { PipelineView } from '../api/views.ts';

/**
 * A block's upstream split by what it gets from them: outputs it reads (completion offers these) and exports it
 * only runs after (exports have no output).
 */
export function splitUpstream(pipeline: PipelineView, upstream: readonly string[]): { reads: string[]; after: string[] } {
  const isExport = (id: string) => pipeline.blocks.find((b) => b.id === id)?.type === 'export';
  return { reads: upstream.filter((id) => !isExport(id)), after: upstream.filter(isExport) };
}

/** "reads a, b · runs after export_c", for the config tab. */
export function upstreamText(pipeline: PipelineView, upstream: readonly string[]): string {
  const { reads, after } = splitUpstream(pipeline, upstream);
  const parts = [reads.length ? `reads ${reads.join(', ')}` : 'reads no other block'];
  if (after.length) parts.push(`runs after ${after.join(', ')} (exports have no output)`);
  return parts.join(' · ');
}
