import { useState } from 'react';
import { RunDag } from './RunDag.tsx';
import { useApi } from '../api/ApiContext.tsx';
import { formatDuration } from '../canvas/format.ts';
import { RunLogs, RUN_LOGS_ID } from './RunLogs.tsx';
import { RunTimeline } from './RunTimeline.tsx';
import { RunChecks } from './RunChecks.tsx';
import { BlockStatsHistory } from './BlockStatsHistory.tsx';
import { RunOutputDialog, useRunOutputs } from './RunOutputPreview.tsx';
import { useRun, type RunDetail } from './use-runs.ts';
import { ChildrenPager, describeCounts } from './ChildrenPager.tsx';
import { RunRowCells, RunRowHeaders, rowIdOf, runRowProps } from './RunRowCells.tsx';

/** One run: each block's final status, rows and error; a timeline of attempts; logs; re-run and retry of its failed blocks. */
export function RunDetailView({
  runId,
  onOpenRun,
  onOpenPipeline,
}: {
  runId: string;
  onOpenRun: (runId: string | null) => void;
  onOpenPipeline: (pipelineId: string) => void;
}) {
  const run = useRun(runId);
  const [focusedBlockId, setFocusedBlockId] = useState('');
  const [previewed, setPreviewed] = useState<string | null>(null);
  const kept = useRunOutputs(run?.pipelineId ?? '', runId, run?.status ?? '');
  if (run === undefined)
    return (
      <p className="screen muted" role="status">
        Loading run {runId}…
      </p>
    );
  if (run === null) {
    return (
      <section className="screen">
        <p role="alert">No run {runId} in this project’s history (it may have been pruned).</p>
        <button type="button" onClick={() => onOpenRun(null)}>
          All runs
        </button>
      </section>
    );
  }
  const hasFailures = run.blocks.some((b) => b.status !== 'succeeded' && b.status !== 'skipped');
  return (
    <section className="screen run-detail" aria-label={`Run ${run.id}`}>
      <div className="screen-head">
        <h2>
          <button type="button" className="link-button" onClick={() => onOpenRun(null)}>
            Runs
          </button>{' '}
          /{' '}
          <a
            href={`#/pipelines/${encodeURIComponent(run.pipelineId)}`}
            aria-label={`Open pipeline ${run.pipelineId}`}
            onClick={(e) => {
              e.preventDefault();
              onOpenPipeline(run.pipelineId);
            }}
          >
            {run.pipelineId}
          </a>{' '}
          <span className="run-badge" data-status={run.status} role="status" aria-label="Status of this run">
            {run.status}
          </span>
        </h2>
        <RunActions run={run} canRetry={hasFailures && run.status !== 'running'} onStarted={onOpenRun} />
      </div>
      <p className="muted">
        {run.id} · {run.trigger.kind}
        {run.trigger.by ? ` (${run.trigger.by})` : ''} · started {new Date(run.startedAt).toLocaleString()}
        {run.durationMs !== null ? ` · ${formatDuration(run.durationMs)}` : ''}
      </p>
      {run.error && <p className="form-error">{run.error.message}</p>}
      <RunDag run={run} selectedBlockId={focusedBlockId} onSelectBlock={(blockId) => focusBlock(blockId, setFocusedBlockId)} />
      <table className="history-table" aria-label="Blocks of this run">
        <thead>
          <tr>
            <th scope="col">Block</th>
            <RunRowHeaders />
            <th scope="col">Output</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {run.blocks.map((block) => (
            <tr key={block.blockId} {...runRowProps(block.blockId, focusedBlockId)}>
              <th scope="row">
                {block.blockId}
                {block.children && (
                  <a
                    className="children-link"
                    href={`#children-of-${block.blockId}`}
                    onClick={(e) => jumpTo(e, `children-of-${block.blockId}`)}
                  >
                    {describeCounts(block.children)}
                  </a>
                )}
              </th>
              <RunRowCells row={block} />
              <td>
                {kept.has(block.blockId) ? (
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => setPreviewed(block.blockId)}
                    aria-label={`Preview ${block.blockId} as this run left it`}
                  >
                    Preview
                  </button>
                ) : (
                  <span
                    className="muted"
                    title="Not stored: the block wrote none, or a later run replaced it (retention.outputs_keep_last)"
                  >
                    —
                  </span>
                )}
              </td>
              <td className="block-error">{block.error?.message ?? block.skipReason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {run.blocks.map(
        (block) =>
          block.children && (
            <ChildrenPager
              key={block.blockId}
              runId={run.id}
              blockId={block.blockId}
              counts={block.children}
              focusedBlockId={focusedBlockId}
              onShowLogs={(childId) => showLogsOf(childId, setFocusedBlockId)}
            />
          ),
      )}
      <RunChecks run={run} />
      {focusedBlockId && <BlockStatsHistory pipelineId={run.pipelineId} blockId={focusedBlockId} />}
      {previewed && <RunOutputDialog pipelineId={run.pipelineId} runId={run.id} blockId={previewed} onClose={() => setPreviewed(null)} />}
      <RunTimeline run={run} />
      <RunLogs runId={run.id} blockIds={logChoices(run, focusedBlockId)} blockId={focusedBlockId} onBlockChange={setFocusedBlockId} />
    </section>
  );
}

/** Focuses a block of the page (logs filtered to it, its row marked) and scrolls its row into view. */
function focusBlock(blockId: string, setFocused: (blockId: string) => void): void {
  setFocused(blockId);
  if (blockId) document.getElementById(rowIdOf(blockId))?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

/** The logs' block choices: the run's top-level blocks, and the child whose logs were asked for (children are many). */
function logChoices(run: RunDetail, focusedBlockId: string): string[] {
  const ids = run.blocks.map((b) => b.blockId);
  return focusedBlockId && !ids.includes(focusedBlockId) ? [...ids, focusedBlockId] : ids;
}

/** Filters the logs to a child and brings them into view. */
function showLogsOf(childId: string, setFocused: (blockId: string) => void): void {
  setFocused(childId);
  document.getElementById(RUN_LOGS_ID)?.scrollIntoView({ block: 'start', behavior: 'smooth' });
}

/** An in-page link that scrolls without changing the route (the hash holds `#/runs/<id>`). */
function jumpTo(e: { preventDefault(): void }, id: string): void {
  e.preventDefault();
  const target = document.getElementById(id);
  target?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  target?.querySelector<HTMLElement>('.children-rows')?.focus({ preventScroll: true });
}

function RunActions({ run, canRetry, onStarted }: { run: RunDetail; canRetry: boolean; onStarted: (runId: string) => void }) {
  const api = useApi();
  const [message, setMessage] = useState('');
  const declaredVariables = async (pipelineId: string) =>
    new Set(Object.keys((await api.call('pipelines.get', { pipelineId })).spec.variables ?? {}));
  const start = async (method: 'runs.start' | 'runs.retryFailed') => {
    setMessage('');
    try {
      // Only the pipeline's own variables (the history also keeps built-ins), and not masked (secret) ones, which the
      // pipeline resolves again; '••••' is the history's REDACTED.
      const declared = method === 'runs.start' ? await declaredVariables(run.pipelineId) : new Set<string>();
      const variables = Object.fromEntries(
        Object.entries(run.variables).filter(([name, v]) => declared.has(name) && typeof v === 'string' && v !== '••••'),
      ) as Record<string, string>;
      const params = method === 'runs.start' ? { pipelineId: run.pipelineId, scope: run.scope, variables } : { runId: run.id };
      const { runId } = await api.call(method, params);
      onStarted(runId);
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="form-actions run-actions">
      <button type="button" onClick={() => void start('runs.start')} disabled={run.status === 'running'}>
        Re-run
      </button>
      <button type="button" className="primary" onClick={() => void start('runs.retryFailed')} disabled={!canRetry}>
        Retry failed blocks
      </button>
      {message && (
        <span className="form-error" role="alert">
          {message}
        </span>
      )}
    </div>
  );
}
