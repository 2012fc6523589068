import { useSchedules } from './use-schedules.ts';

/**
 * "2 schedules active · Pause": which schedules of the project fire while the app is open (they may reach the
 * internet), and a switch that pauses them all until the app closes. Nothing shows where no schedule would fire.
 */
export function ScheduleStatus() {
  const { status, error, setPaused } = useSchedules();
  if (error)
    return (
      <span className="error-text" role="alert">
        {error}
      </span>
    );
  if (!status?.isRunning || status.active.length === 0) return null;
  const count = status.active.length;
  const names = status.active
    .map(
      (s) =>
        `${s.pipelineId}/${s.trigger}${s.nextAt !== null && !status.isPaused ? ` (next ${new Date(s.nextAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)` : ''}`,
    )
    .join(', ');
  const noun = `${count} schedule${count === 1 ? '' : 's'}`;
  return (
    <span className={`schedule-status${status.isPaused ? ' is-paused' : ''}`} role="group" aria-label="Schedules">
      <span role="status" title={names}>
        {status.isPaused ? `${noun} paused` : `${noun} active`}: {names}
      </span>
      <button
        type="button"
        onClick={() => void setPaused(!status.isPaused)}
        aria-label={status.isPaused ? 'Resume schedules' : 'Pause schedules'}
        title={status.isPaused ? undefined : 'No schedule of this project fires until you resume or the app closes'}
      >
        {status.isPaused ? 'Resume' : 'Pause'}
      </button>
    </span>
  );
}
