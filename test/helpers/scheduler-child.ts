/**
 * A scheduler process for the crash test: `scheduler-child.ts <project-dir> <clock-start> <advance-to>`.
 * Starts the scheduler on a manual clock at <clock-start>, moves it to <advance-to>, prints `fired <run-id>` once the
 * scheduled run has started, then stays alive until it is killed (SIGKILL simulates a crash mid-run).
 */
import { openProject } from '../../main/runtime/open-project.ts';
import { Scheduler } from '../../main/orchestration/scheduler.ts';
import { createTestRegistry } from './test-kinds.ts';
import { ManualClock } from './manual-clock.ts';

const [dir, start, to] = process.argv.slice(2);
if (!dir || !start || !to) throw new Error('usage: scheduler-child.ts <project-dir> <clock-start> <advance-to>');

const open = await openProject(dir, { kinds: createTestRegistry() });
const clock = new ManualClock(start);
const scheduler = new Scheduler({
  open,
  clock,
  rescanMs: 12 * 3_600_000,
  onActivity: (activity) => {
    if (activity.type === 'fired') process.stdout.write(`fired ${activity.runId}\n`);
  },
});
await scheduler.start();
await clock.advanceTo(to, () => scheduler.settled());
// Keep the event loop (and so the process) alive until the test kills it.
setInterval(() => undefined, 60_000);
