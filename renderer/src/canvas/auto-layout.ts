import dagre from '@dagrejs/dagre';
import type { LayoutFile } from '../../../main/project/schema.ts';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 84;

/**
 * Positions for every block: layout.json's where it has one, dagre's left-to-right layout for the rest
 * (a pipeline written by hand or by another tool has no layout.json).
 */
export function positionBlocks(blocks: { id: string; upstream: string[] }[], layout: LayoutFile): Record<string, { x: number; y: number }> {
  const missing = blocks.filter((b) => !layout.nodes[b.id]);
  if (missing.length === 0) return { ...layout.nodes };
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 32, ranksep: 64 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const b of blocks) graph.setNode(b.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const b of blocks) for (const up of b.upstream) if (graph.hasNode(up)) graph.setEdge(up, b.id);
  dagre.layout(graph);
  const positions: Record<string, { x: number; y: number }> = {};
  for (const b of blocks) {
    const placed = graph.node(b.id);
    // dagre gives centres; React Flow wants top-left corners.
    positions[b.id] = layout.nodes[b.id] ?? { x: placed.x - NODE_WIDTH / 2, y: placed.y - NODE_HEIGHT / 2 };
  }
  return positions;
}
