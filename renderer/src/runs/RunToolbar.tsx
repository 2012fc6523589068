import type { RunStatus } from '../../../main/engine/run-events.ts';

interface Props {
  pipelineName: string;
  status: RunStatus | null;
  busy: boolean;
  error: string | null;
  onRun(): void;
  onCancel(): void;
}

/** Run / Cancel for the pipeline on the canvas, with the run's status. */
export function RunToolbar({ pipelineName, status, busy, error, onRun, onCancel }: Props) {
  const isRunning = status === 'running';
  return (
    <div className="toolbar" role="toolbar" aria-label="Pipeline actions">
      <h1 className="toolbar-title">{pipelineName}</h1>
      <button type="button" className="primary" onClick={onRun} disabled={isRunning || busy}>
        Run pipeline
      </button>
      <button type="button" onClick={onCancel} disabled={!isRunning}>
        Cancel
      </button>
      <span className="run-status" role="status" aria-label="Run status" data-status={status ?? 'none'}>
        {status ? `Run ${status}` : 'Not run yet'}
      </span>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
