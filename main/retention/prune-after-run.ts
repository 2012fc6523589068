import { pruneProject, type PruneTarget } from './prune-project.ts';

/**
 * Automatic retention after a run: applies `retention:` when the project sets it. Never throws: a failure becomes a
 * warning in the run's log, because a finished run must not turn failed over housekeeping.
 */
export async function pruneAfterRun(target: PruneTarget, runId: string): Promise<void> {
  if (!target.project.settings.retention) return;
  try {
    const report = await pruneProject(target);
    if (report.runs + report.logs + report.outputs.length === 0) return;
    const freed = report.outputs.length ? `, ${report.outputs.length} stored outputs (${formatBytes(report.outputBytes)})` : '';
    log(target, runId, 'info', `retention: deleted ${report.runs} old runs, ${report.logs} log lines${freed}`);
  } catch (error) {
    log(target, runId, 'warn', `retention: pruning after the run failed: ${(error as Error).message}`);
  }
}

/** `1.5 GB`, `300 MB`, `12 KB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function log(target: PruneTarget, runId: string, level: 'info' | 'warn', message: string): void {
  try {
    target.store.record({ type: 'log.written', runId, blockId: null, level, message, at: Date.now() });
  } catch (error) {
    // The run itself may have been pruned (runs_days: 0 is refused, but a clock jump is not): say it on the console.
    console.warn(`pipewright: ${message} (${(error as Error).message})`);
  }
}
