import type { BlockRunState } from '../api/views.ts';
import { formatCount, formatDuration } from '../canvas/format.ts';

/** A one-click export in flight or done: which block, where to, and the run that carries it. */
export interface ExportJob {
  exportId: string;
  sourceId: string;
  destination: string;
  runId: string | null;
}

/** The export's outcome when its run settles (rows, destination, time), or that it is running. */
export function ExportResult({ job, state, onClose }: { job: ExportJob; state: BlockRunState | undefined; onClose(): void }) {
  const status = job.runId === null ? 'not-started' : (state?.status ?? 'pending');
  const text =
    status === 'succeeded'
      ? `Exported ${state?.rowsOut !== undefined ? `${formatCount(state.rowsOut)} rows` : 'the output'} of ${job.sourceId} to ${job.destination} in ${formatDuration(state?.durationMs ?? 0)}`
      : status === 'failed'
        ? `Export of ${job.sourceId} to ${job.destination} failed: ${state?.error ?? 'see the log'}`
        : status === 'not-started'
          ? `Added ${job.exportId}, but its run did not start (see the run status)`
          : `Exporting ${job.sourceId} to ${job.destination}…`;
  return (
    <div className={`export-result status-${status}`} role="status" aria-label="Export result">
      <span>{text}</span>
      <button type="button" className="icon-button" aria-label="Dismiss export result" onClick={onClose}>×</button>
    </div>
  );
}
