import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { formatCount, formatDuration } from '../canvas/format.ts';
import type { RunFlowNode } from './run-graph-nodes.ts';

/** A block of a past run: its final status in words and colour, rows out, duration, attempts and dynamic children. Read-only. */
export const RunDagNode = memo(function RunDagNode({ data, selected }: NodeProps<RunFlowNode>) {
  const statusText = data.status.replace('_', ' ');
  return (
    <div
      className={`block-node run-dag-node status-${data.status}${selected ? ' is-selected' : ''}`}
      data-status={data.status}
      title={data.error}
    >
      {data.blockType !== 'source' && <Handle type="target" position={Position.Left} isConnectable={false} />}
      <div className="block-node-head">
        {data.kind ? <span className={`kind-badge type-${data.blockType ?? ''}`}>{data.kind}</span> : <span />}
        <span className="block-status" data-status={data.status}>
          <span className="status-dot" aria-hidden="true" />
          {statusText}
        </span>
      </div>
      <div className="block-node-name">{data.blockId}</div>
      <div className="block-node-stats">
        <span>{data.rowsOut !== null ? `${formatCount(data.rowsOut)} row${data.rowsOut === 1 ? '' : 's'}` : '— rows'}</span>
        {data.attempts > 0 && (
          <span>
            {data.attempts} attempt{data.attempts === 1 ? '' : 's'}
          </span>
        )}
        <span>{data.durationMs !== null ? formatDuration(data.durationMs) : ''}</span>
      </div>
      {/* A line of its own: `98,969/100,000 ✓, 1,031 failed` does not fit beside rows, attempts and duration. */}
      {data.children && (
        <div className={`children-badge run-dag-children${/failed/.test(data.children) ? ' is-failing' : ''}`}>{data.children}</div>
      )}
      {data.blockType !== 'export' && <Handle type="source" position={Position.Right} isConnectable={false} />}
    </div>
  );
});
