import { useEffect, useMemo } from 'react';
import { Background, Controls, MiniMap, ReactFlow, useReactFlow, useStore, type Edge } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { PipelineView, BlockRunState } from '../api/views.ts';
import { positionBlocks } from './auto-layout.ts';
import { BlockNode, type BlockFlowNode } from './BlockNode.tsx';
import { RunStateContext } from './RunStateContext.tsx';

// Declared once at module scope: React Flow re-mounts every node when this object changes identity.
const nodeTypes = { block: BlockNode };
const FIT = { padding: 0.25, maxZoom: 1 };

/** Refits the graph when the canvas changes size (the details panel opening or closing, a window resize). */
function FitOnResize() {
  const { fitView } = useReactFlow();
  const width = useStore((state) => state.width);
  const height = useStore((state) => state.height);
  useEffect(() => {
    void fitView(FIT);
  }, [width, height, fitView]);
  return null;
}

interface Props {
  pipeline: PipelineView;
  runBlocks: Record<string, BlockRunState>;
  selectedBlock: string | null;
  onSelectBlock(blockId: string | null): void;
}

/** The pipeline's DAG: nodes from pipeline.yaml, positions from layout.json (or auto-layout), read-only for now. */
export function PipelineCanvas({ pipeline, runBlocks, selectedBlock, onSelectBlock }: Props) {
  const { nodes, edges } = useMemo(() => toFlow(pipeline, selectedBlock), [pipeline, selectedBlock]);
  return (
    <RunStateContext.Provider value={runBlocks}>
      <ReactFlow
        aria-label={`Canvas of pipeline ${pipeline.id}`}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={(_event, node) => onSelectBlock(node.id)}
        onPaneClick={() => onSelectBlock(null)}
        fitView
        fitViewOptions={FIT}
        minZoom={0.1}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} size={1} />
        <MiniMap pannable zoomable ariaLabel="Minimap" nodeColor="var(--idle)" nodeStrokeColor="var(--border)" maskColor="rgba(128, 128, 128, 0.12)" />
        <FitOnResize />
        <Controls showInteractive={false} aria-label="Zoom controls" />
      </ReactFlow>
    </RunStateContext.Provider>
  );
}

function toFlow(pipeline: PipelineView, selectedBlock: string | null): { nodes: BlockFlowNode[]; edges: Edge[] } {
  const positions = positionBlocks(pipeline.blocks, pipeline.layout);
  const downstreamOf = new Set(pipeline.blocks.flatMap((b) => b.upstream));
  const nodes: BlockFlowNode[] = pipeline.blocks.map((b) => ({
    id: b.id,
    type: 'block',
    position: positions[b.id] ?? { x: 0, y: 0 },
    selected: b.id === selectedBlock,
    ariaRole: 'button',
    ariaLabel: b.id,
    data: { blockId: b.id, kind: b.kind, blockType: b.type, hasUpstream: b.upstream.length > 0, hasDownstream: downstreamOf.has(b.id) },
  }));
  const edges: Edge[] = pipeline.blocks.flatMap((b) => b.upstream.map((up) => ({ id: `${up}->${b.id}`, source: up, target: b.id })));
  return { nodes, edges };
}
