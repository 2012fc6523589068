import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { formatCount, formatDuration } from './format.ts';
import { useBlockRunState } from './RunStateContext.tsx';

/** The one node type of the canvas: a block, its kind and type; nothing but config in data. */
export type BlockNodeData = { blockId: string; kind: string; blockType: string; hasUpstream: boolean; hasDownstream: boolean };
export type BlockFlowNode = Node<BlockNodeData, 'block'>;

const STATUS_LABELS: Record<string, string> = {
  idle: 'not run',
  pending: 'pending',
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  upstream_failed: 'upstream failed',
  cancelled: 'cancelled',
};

/** A block on the canvas: kind, id, status, rows and duration of its last run. */
export function BlockNode({ data, selected }: NodeProps<BlockFlowNode>) {
  const run = useBlockRunState(data.blockId);
  return (
    <div className={`block-node status-${run.status}${selected ? ' is-selected' : ''}`} title={run.error}>
      {data.hasUpstream && <Handle type="target" position={Position.Left} isConnectable={false} />}
      <div className="block-node-head">
        <span className={`kind-badge type-${data.blockType}`}>{data.kind}</span>
        <span className="block-status" data-status={run.status}>
          <span className="status-dot" aria-hidden="true" />
          {STATUS_LABELS[run.status] ?? run.status}
        </span>
      </div>
      <div className="block-node-name">{data.blockId}</div>
      <div className="block-node-stats">
        <span>{run.rowsOut !== undefined ? `${formatCount(run.rowsOut)} rows` : '— rows'}</span>
        <span>{run.durationMs !== undefined ? formatDuration(run.durationMs) : ''}</span>
      </div>
      {data.hasDownstream && <Handle type="source" position={Position.Right} isConnectable={false} />}
    </div>
  );
}
