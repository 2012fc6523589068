import type { BlockRunState } from '../api/views.ts';
import { formatCount, formatDuration } from '../canvas/format.ts';
import { Toast } from '../notices/Toast.tsx';

/** A one-click export in flight or done: which pipeline and block, where to, and the run that carries it. */
export interface ExportJob {
  pipelineId: string;
  exportId: string;
  sourceId: string;
  destination: string;
  runId: string | null;
}

/** The export's outcome when its run settles (rows, destination, time), or that it is running; a failure stays. */
export function ExportResult({ job, state, onClose }: { job: ExportJob; state: BlockRunState | undefined; onClose(): void }) {
  const status = job.runId === null ? 'not-started' : (state?.status ?? 'pending');
  const text =
    status === 'succeeded'
      ? `Exported ${state?.rowsOut !== undefined ? `${formatCount(state.rowsOut)} rows` : 'the output'} of ${job.sourceId} to ${job.destination} in ${formatDuration(state?.durationMs ?? 0)}`
      : status === 'failed' || status === 'upstream_failed' || status === 'cancelled'
        ? `Export of ${job.sourceId} to ${job.destination} failed: ${state?.error ?? status.replace('_', ' ')}`
        : status === 'not-started'
          ? `Added ${job.exportId}, but its run did not start (see the run status)`
          : `Exporting ${job.sourceId} to ${job.destination}…`;
  const tone = status === 'succeeded' ? 'ok' : status === 'pending' || status === 'queued' || status === 'running' ? 'running' : 'error';
  return (
    <Toast tone={tone} label="Export result" dismissLabel="Dismiss export result" text={text} onDismiss={onClose}>
      <span>{text}</span>
    </Toast>
  );
}
