import dagre from '@dagrejs/dagre';
import type { LayoutFile } from '../../../main/model/schema.ts';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 84;

/**
 * Positions for every block: layout.json's where it has one, dagre's left-to-right layout for the rest
 * (a pipeline written by hand or by another tool has no layout.json).
 */
export function positionBlocks(blocks: { id: string; upstream: string[] }[], layout: LayoutFile): Record<string, { x: number; y: number }> {
  const missing = blocks.filter((b) => !layout.nodes[b.id]);
  if (missing.length === 0) return { ...layout.nodes };
  const saved = blocks.flatMap((b) => layout.nodes[b.id] ?? []);
  // Blocks added outside the canvas go below the saved ones, laid out among themselves, rather than on top of them.
  const below = saved.length > 0 ? Math.max(...saved.map((p) => p.y)) + NODE_HEIGHT + 48 : 0;
  const left = saved.length > 0 ? Math.min(...saved.map((p) => p.x)) : 0;
  const placed = layoutAll(saved.length > 0 ? missing : blocks);
  const positions: Record<string, { x: number; y: number }> = {};
  for (const b of blocks) {
    const auto = placed[b.id] ?? { x: 0, y: 0 };
    positions[b.id] = layout.nodes[b.id] ?? (saved.length > 0 ? { x: auto.x + left, y: auto.y + below } : auto);
  }
  return positions;
}

/** dagre's left-to-right layout of all blocks, ignoring saved positions (the auto-layout button). */
export function layoutAll(blocks: { id: string; upstream: string[] }[]): Record<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 32, ranksep: 64 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const b of blocks) graph.setNode(b.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const b of blocks) for (const up of b.upstream) if (graph.hasNode(up)) graph.setEdge(up, b.id);
  dagre.layout(graph);
  const positions: Record<string, { x: number; y: number }> = {};
  for (const b of blocks) {
    const node = graph.node(b.id);
    // dagre gives centres; React Flow wants top-left corners.
    positions[b.id] = { x: Math.round(node.x - NODE_WIDTH / 2), y: Math.round(node.y - NODE_HEIGHT / 2) };
  }
  return positions;
}
