import { useEffect, useMemo, useState } from 'react';
import { ReactFlow, type NodeChange, type NodeMouseHandler } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useApi } from '../api/ApiContext.tsx';
import type { RunGraph } from '../../../main/api/connections-contract.ts';
import { RunDagNode } from './RunDagNode.tsx';
import { toRunGraph, type RunFlowNode } from './run-graph-nodes.ts';
import type { RunDetail } from './use-runs.ts';

// Declared once at module scope: React Flow re-mounts every node when this object changes identity.
const nodeTypes = { 'run-block': RunDagNode };
const FIT = { padding: 0.2, maxZoom: 1 };
const PRO_OPTIONS = { hideAttribution: true };

/** `runs.graph` for a run, fetched once: the statuses come from the run record, which the page keeps live. */
function useRunGraph(runId: string): { graph: RunGraph | null; error: string } {
  const api = useApi();
  const [graph, setGraph] = useState<RunGraph | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let isCurrent = true;
    api.call('runs.graph', { runId }).then(
      (reply) => isCurrent && setGraph(reply),
      (e: unknown) => isCurrent && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      isCurrent = false;
    };
  }, [api, runId]);
  return { graph, error };
}

/**
 * The run's DAG, read-only: each block coloured by its final status in this run. Clicking a block, or Enter on a
 * focused one, selects it (the page filters its logs to it); clicking the background or Escape clears that.
 */
export function RunDag({
  run,
  selectedBlockId,
  onSelectBlock,
}: {
  run: RunDetail;
  selectedBlockId: string;
  onSelectBlock: (blockId: string) => void;
}) {
  const { graph, error } = useRunGraph(run.id);
  const { nodes, edges } = useMemo(() => {
    if (!graph) return { nodes: [], edges: [] };
    // Without the pipeline as it ran, the record's blocks (kept live) are all there is.
    const blocks = graph.isCurrent ? graph.blocks : run.blocks.map((b) => ({ id: b.blockId, upstream: [] }));
    return toRunGraph(blocks, run.blocks, graph.isCurrent);
  }, [graph, run.blocks]);
  const shownNodes = useMemo(() => nodes.map((n) => (n.id === selectedBlockId ? { ...n, selected: true } : n)), [nodes, selectedBlockId]);
  // A block this run did not plan has no logs or row: clicking it clears the focus rather than filter to nothing.
  const select = (node: RunFlowNode | undefined) => node && onSelectBlock(node.data.status === 'not run' ? '' : node.id);
  const onNodeClick: NodeMouseHandler<RunFlowNode> = (_, node) => select(node);
  // Keyboard: Tab focuses a node, Enter or Space selects it (React Flow reports that as a select change), Escape clears.
  const onNodesChange = (changes: NodeChange<RunFlowNode>[]) => {
    for (const change of changes) {
      if (change.type !== 'select') continue;
      if (change.selected) select(nodes.find((n) => n.id === change.id));
      else if (change.id === selectedBlockId) onSelectBlock('');
    }
  };
  if (error)
    return (
      <p className="form-error" role="alert">
        Cannot draw the run’s graph: {error}
      </p>
    );
  if (!graph) return <div className="run-dag is-loading" aria-busy="true" />;
  return (
    <figure className="run-dag" aria-label="Graph of this run">
      {graph.note && (
        <figcaption className="run-dag-note" role="note">
          {graph.note}
        </figcaption>
      )}
      <div className="run-dag-flow" style={{ height: graph.isCurrent ? 240 : Math.min(420, 40 + nodes.length * 100) }}>
        <ReactFlow
          nodes={shownNodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodeClick={onNodeClick}
          onNodesChange={onNodesChange}
          onPaneClick={() => onSelectBlock('')}
          nodesDraggable={false}
          nodesConnectable={false}
          edgesFocusable={false}
          deleteKeyCode={null}
          fitView
          fitViewOptions={FIT}
          minZoom={0.2}
          proOptions={PRO_OPTIONS}
        />
      </div>
    </figure>
  );
}
