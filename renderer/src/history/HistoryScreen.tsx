import { useId, useMemo, useState } from 'react';
import { formatDuration } from '../canvas/format.ts';
import { RunDetailView } from './RunDetailView.tsx';
import { useRuns, type RunSummary } from './use-runs.ts';
import './history.css';

const STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;

/** `#/runs`: every recorded run, filterable by status and pipeline; `#/runs/<runId>`: one run. */
export function HistoryScreen({
  runId,
  onOpenRun,
  onOpenPipeline,
}: {
  runId: string | null;
  onOpenRun: (runId: string | null) => void;
  onOpenPipeline: (pipelineId: string) => void;
}) {
  if (runId) return <RunDetailView key={runId} runId={runId} onOpenRun={onOpenRun} onOpenPipeline={onOpenPipeline} />;
  return <RunList onOpenRun={onOpenRun} onOpenPipeline={onOpenPipeline} />;
}

function RunList({ onOpenRun, onOpenPipeline }: { onOpenRun: (runId: string) => void; onOpenPipeline: (pipelineId: string) => void }) {
  const { runs, error } = useRuns();
  const ids = useId();
  const [status, setStatus] = useState('');
  const [pipeline, setPipeline] = useState('');
  const pipelines = useMemo(() => [...new Set((runs ?? []).map((r) => r.pipelineId))].sort(), [runs]);
  const shown = (runs ?? []).filter((r) => (!status || r.status === status) && (!pipeline || r.pipelineId === pipeline));
  return (
    <section className="screen history-screen" aria-labelledby="history-title">
      <div className="screen-head">
        <h2 id="history-title">Run history</h2>
        <div className="history-filters">
          <label htmlFor={`${ids}-status`}>Status</label>
          <select id={`${ids}-status`} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <label htmlFor={`${ids}-pipeline`}>Pipeline</label>
          <select id={`${ids}-pipeline`} value={pipeline} onChange={(e) => setPipeline(e.target.value)}>
            <option value="">all</option>
            {pipelines.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {runs === null && !error && (
        <p className="muted" role="status">
          Loading runs…
        </p>
      )}
      {runs?.length === 0 && <p className="muted">No runs yet: run a pipeline from the Pipelines screen, the CLI or a trigger.</p>}
      {shown.length > 0 && (
        <table className="history-table" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Pipeline</th>
              <th scope="col">Trigger</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((run) => (
              <RunRow key={run.id} run={run} onOpen={() => onOpenRun(run.id)} onOpenPipeline={() => onOpenPipeline(run.pipelineId)} />
            ))}
          </tbody>
        </table>
      )}
      {runs && runs.length > 0 && shown.length === 0 && <p className="muted">No run matches these filters.</p>}
    </section>
  );
}

function RunRow({ run, onOpen, onOpenPipeline }: { run: RunSummary; onOpen: () => void; onOpenPipeline: () => void }) {
  return (
    <tr>
      <td>
        <a
          href={`#/runs/${encodeURIComponent(run.id)}`}
          onClick={(e) => {
            e.preventDefault();
            onOpen();
          }}
          aria-label={`Run ${run.id} of ${run.pipelineId}`}
        >
          {run.pipelineId}
        </a>{' '}
        <a
          className="open-pipeline"
          href={`#/pipelines/${encodeURIComponent(run.pipelineId)}`}
          onClick={(e) => {
            e.preventDefault();
            onOpenPipeline();
          }}
          aria-label={`Open pipeline ${run.pipelineId}`}
          title="Open this pipeline on the canvas"
        >
          open<span aria-hidden="true"> ↗</span>
        </a>
      </td>
      <td>
        {run.trigger.kind}
        {run.trigger.by ? ` (${run.trigger.by})` : ''}
      </td>
      <td>
        <span className="run-badge" data-status={run.status}>
          {run.status}
        </span>
      </td>
      <td>{new Date(run.startedAt).toLocaleString()}</td>
      <td>{run.durationMs === null ? '—' : formatDuration(run.durationMs)}</td>
    </tr>
  );
}
