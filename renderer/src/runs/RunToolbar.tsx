import { useState } from 'react';
import type { RunStatus } from '../../../main/model/run-events.ts';

interface Props {
  pipelineName: string;
  status: RunStatus | null;
  busy: boolean;
  error: string | null;
  canRun: boolean;
  /** Runs waiting behind max_concurrent_runs, oldest first. */
  queued: string[];
  onRun(): void;
  onCancel(): void;
  onCancelQueued(runId: string): void;
  onNewPipeline(id: string): void;
}

/** Run / Cancel for the pipeline on the canvas, with the run's status; and starting a new pipeline. */
export function RunToolbar({ pipelineName, status, busy, error, canRun, queued, onRun, onCancel, onCancelQueued, onNewPipeline }: Props) {
  const isRunning = status === 'running';
  return (
    <div className="toolbar" role="toolbar" aria-label="Pipeline actions">
      <h1 className="toolbar-title">{pipelineName}</h1>
      <button type="button" className="primary" onClick={onRun} disabled={isRunning || busy || !canRun}>
        Run pipeline
      </button>
      <button type="button" onClick={onCancel} disabled={!isRunning}>
        Cancel
      </button>
      <span className="run-status" role="status" aria-label="Run status" data-status={status ?? 'none'}>
        {status ? `Run ${status}` : 'Not run yet'}
      </span>
      {queued.length > 0 && (
        <span className="run-queued" role="status" aria-label="Queued runs" title="Waiting for a free run slot (max_concurrent_runs)">
          {queued.length === 1 ? '1 run queued' : `${queued.length} runs queued`}
          <button type="button" className="link-button" onClick={() => onCancelQueued(queued.at(-1) ?? '')}>
            Cancel queued
          </button>
        </span>
      )}
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
      <NewPipeline onCreate={onNewPipeline} />
    </div>
  );
}

const PIPELINE_ID = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function NewPipeline({ onCreate }: { onCreate(id: string): void }) {
  const [id, setId] = useState<string | null>(null);
  if (id === null) {
    return (
      <button type="button" className="toolbar-end" onClick={() => setId('')}>
        New pipeline
      </button>
    );
  }
  const isValid = PIPELINE_ID.test(id);
  const submit = () => {
    if (!isValid) return;
    onCreate(id);
    setId(null);
  };
  return (
    <form className="new-pipeline toolbar-end" onSubmit={(e) => (e.preventDefault(), submit())}>
      <input
        aria-label="New pipeline id"
        placeholder="pipeline_id"
        value={id}
        autoFocus
        onChange={(e) => setId(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && setId(null)}
        title="letters, digits and _ (not starting with a digit)"
      />
      <button type="submit" className="primary" disabled={!isValid}>
        Create
      </button>
    </form>
  );
}
