import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { BlockRunState } from '../api/views.ts';
import { formatAmount, formatDuration, formatRate } from './format.ts';
import { useBlockRunState } from './RunStateContext.tsx';
import { ChildrenBadge } from '../orchestration/ChildrenBadge.tsx';
import { NodeDesign, useLineageClass } from '../design/NodeDesign.tsx';

/** The one node type of the canvas: a block, its kind and type; nothing but config in data. */
/** `hasUpstream`: a source may read one too (a dynamic block's children), so it gets an input handle for that edge. */
/** `engine`: the warehouse the block's data lives in (BigQuery, Postgres), absent for local blocks. */
export type BlockNodeData = { blockId: string; kind: string; blockType: string; hasUpstream: boolean; engine?: string | undefined };
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

/** A block on the canvas: kind, name, status (stale after an edit), rows, duration, tests and live progress. */
export const BlockNode = memo(function BlockNode({ data, selected }: NodeProps<BlockFlowNode>) {
  const run = useBlockRunState(data.blockId);
  const status = run.isStale ? 'stale' : run.status;
  const lineage = useLineageClass(data.blockId);
  return (
    <div
      className={`block-node status-${run.status}${run.isStale ? ' is-stale' : ''}${selected ? ' is-selected' : ''}${lineage}`}
      title={run.error}
    >
      {(data.blockType !== 'source' || data.hasUpstream) && (
        <Handle type="target" position={Position.Left} aria-label={`Input of ${data.blockId}`} />
      )}
      <div className="block-node-head">
        <span className={`kind-badge type-${data.blockType}`}>{data.kind}</span>
        {data.engine && (
          <span className="engine-badge" title={`Runs in ${data.engine}`}>
            {data.engine}
          </span>
        )}
        <span className="block-status" data-status={status}>
          <span className="status-dot" aria-hidden="true" />
          {run.isStale ? `stale · ${STATUS_LABELS[run.status] ?? run.status}` : (STATUS_LABELS[run.status] ?? run.status)}
        </span>
      </div>
      <div className="block-node-name">{data.blockId}</div>
      <div className="block-node-stats">
        <span>{run.rowsOut !== undefined ? formatAmount(run.rowsOut, 'rows') : '— rows'}</span>
        {data.engine === 'BigQuery' && data.blockType === 'transform' && run.bytes !== undefined && (
          <span title="Bytes the BigQuery job processed">{formatAmount(run.bytes, 'bytes')} processed</span>
        )}
        <TestsBadge tests={run.tests} />
        <span>{run.durationMs !== undefined ? formatDuration(run.durationMs) : ''}</span>
      </div>
      <ChildrenBadge blockId={data.blockId} />
      {run.status === 'running' && <ProgressBar progress={run.progress} />}
      {run.status === 'failed' && run.error && <div className="block-node-error">{run.error}</div>}
      <NodeDesign blockId={data.blockId} hasRunError={run.status === 'failed' && Boolean(run.error)} />
      {data.blockType !== 'export' && <Handle type="source" position={Position.Right} aria-label={`Output of ${data.blockId}`} />}
    </div>
  );
});

function TestsBadge({ tests }: { tests: BlockRunState['tests'] }) {
  if (!tests) return null;
  const warned = tests.warned ?? 0;
  const total = tests.passed + tests.failed + warned;
  const className = tests.failed > 0 ? 'tests-badge is-failing' : warned > 0 ? 'tests-badge is-warning' : 'tests-badge';
  const text =
    tests.failed > 0
      ? `✗ ${tests.failed}/${total} tests failed`
      : warned > 0
        ? `⚠ ${warned}/${total} warned`
        : `${total} test${total === 1 ? '' : 's'} ✓`;
  return (
    <span className={className} title="Tests, checks and drift of the last run">
      {text}
    </span>
  );
}

function ProgressBar({ progress }: { progress: BlockRunState['progress'] }) {
  const fraction = progress?.total ? Math.min(1, progress.done / progress.total) : undefined;
  const label = progress
    ? `${progress.phase}: ${formatAmount(progress.done, progress.unit)}${progress.total !== undefined ? ` of ${formatAmount(progress.total, progress.unit)}` : ''}`
    : 'starting';
  return (
    <div className="block-progress">
      <div
        className={`block-progress-track${fraction === undefined ? ' is-indeterminate' : ''}`}
        role="progressbar"
        aria-label={label}
        {...(fraction !== undefined ? { 'aria-valuenow': Math.round(fraction * 100), 'aria-valuemin': 0, 'aria-valuemax': 100 } : {})}
      >
        <div className="block-progress-fill" style={{ width: `${Math.round((fraction ?? 0.3) * 100)}%` }} />
      </div>
      <div className="block-progress-text">
        {progress ? `${label}${formatRate(progress) ? ` · ${formatRate(progress)}` : ''}` : 'starting…'}
      </div>
    </div>
  );
}
