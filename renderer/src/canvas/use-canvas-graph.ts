import { useCallback, useEffect, useMemo, useState } from 'react';
import { ENGINE_NAMES, crossesEngines, destinationEngineOf } from '../../../main/model/block-engine.ts';
import { applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type NodeChange } from '@xyflow/react';
import type { PipelineView } from '../api/views.ts';
import { positionBlocks } from './auto-layout.ts';
import type { BlockFlowNode } from './BlockNode.tsx';

/**
 * React Flow's nodes and edges for a pipeline, held as state so drags, selection and measured sizes (which the
 * minimap needs to draw nodes) apply locally; a new view from disk replaces them, keeping selection and sizes.
 */
export function useCanvasGraph(view: PipelineView) {
  const positions = useMemo(() => positionBlocks(view.blocks, view.layout), [view]);
  const [nodes, setNodes] = useState<BlockFlowNode[]>(() => toNodes(view, positions, []));
  const [edges, setEdges] = useState<Edge[]>(() => toEdges(view, []));
  useEffect(() => {
    setNodes((current) => toNodes(view, positions, current));
    setEdges((current) => toEdges(view, current));
  }, [view, positions]);
  const onNodesChange = useCallback((changes: NodeChange<BlockFlowNode>[]) => setNodes((ns) => applyNodeChanges(changes, ns)), []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => setEdges((es) => applyEdgeChanges(changes, es)), []);
  const selectOnly = useCallback((ids: readonly string[]) => {
    const chosen = new Set(ids);
    setNodes((ns) => ns.map((n) => (n.selected === chosen.has(n.id) ? n : { ...n, selected: chosen.has(n.id) })));
    setEdges((es) => es.map((e) => (e.selected ? { ...e, selected: false } : e)));
  }, []);
  return { nodes, edges, onNodesChange, onEdgesChange, selectOnly, positions };
}

function toNodes(
  view: PipelineView,
  positions: Record<string, { x: number; y: number }>,
  current: readonly BlockFlowNode[],
): BlockFlowNode[] {
  const before = new Map(current.map((n) => [n.id, n]));
  return view.blocks.map((b) => {
    const old = before.get(b.id);
    return {
      id: b.id,
      type: 'block',
      position: positions[b.id] ?? { x: 0, y: 0 },
      selected: old?.selected ?? false,
      ...(old?.measured ? { measured: old.measured } : {}),
      ariaRole: 'button',
      ariaLabel: b.id,
      data: { blockId: b.id, kind: b.kind, blockType: b.type, hasUpstream: b.upstream.length > 0, engine: engineBadge(b) },
    };
  });
}

function toEdges(view: PipelineView, current: readonly Edge[]): Edge[] {
  const selected = new Set(current.filter((e) => e.selected).map((e) => e.id));
  const byId = new Map(view.blocks.map((b) => [b.id, b]));
  return view.blocks.flatMap((b) =>
    b.upstream.map((up) => {
      const id = `${up}->${b.id}`;
      const upBlock = byId.get(up);
      const crossing = upBlock ? crossesEngines(upBlock, b) : undefined;
      const edge: Edge = { id, source: up, target: b.id, selected: selected.has(id), ariaLabel: `Connection from ${up} to ${b.id}` };
      if (!crossing) return edge;
      // Data moves between engines here (a transfer block): said on the edge, not only by its colour.
      const text = `${ENGINE_NAMES[crossing.from]} → ${ENGINE_NAMES[crossing.to]}`;
      return { ...edge, className: 'crosses-engines', label: text, ariaLabel: `Connection from ${up} to ${b.id}, data moves ${text}` };
    }),
  );
}

/** The engine badge of a block whose data lives in a warehouse; none for local blocks (the default). */
function engineBadge(block: PipelineView['blocks'][number]): string | undefined {
  const engine = destinationEngineOf(block);
  return engine === 'duckdb' ? undefined : ENGINE_NAMES[engine];
}
