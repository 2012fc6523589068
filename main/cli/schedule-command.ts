import { parseArgs } from 'node:util';
import { openProject } from '../runtime/open-project.ts';
import { Scheduler } from '../orchestration/scheduler.ts';
import { formatActivity } from '../orchestration/scheduler-activity.ts';
import { listTriggerDescriptions } from '../orchestration/triggers.ts';
import { installLastResort } from '../runtime/last-resort.ts';
import { resolveProjectDir } from './project-dir.ts';
import { UsageError } from './usage.ts';

/**
 * `pipewright schedule [--project DIR]`: fires the project's schedule triggers headless (a server, an OS service) until
 * SIGINT/SIGTERM, logging each fire and run result on stdout. Prints `scheduler running` once it is ready.
 */
export async function scheduleCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { project: { type: 'string' } } });
  if (positionals.length > 0) throw new UsageError('schedule takes no arguments (only --project <dir>)');
  const open = await openProject(await resolveProjectDir(values.project), { preflight: 'first' });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let scheduler: Scheduler | undefined;
  // A fault in one run must not stop every schedule: it fails that run and the scheduler carries on.
  const removeLastResort = installLastResort();
  try {
    scheduler = new Scheduler({ open, onActivity: (activity) => log(formatActivity(activity)) });
    await scheduler.start();
    const { triggers } = await listTriggerDescriptions(open);
    const schedules = triggers.filter((t) => t.type === 'schedule' && t.enabled);
    for (const t of schedules)
      log(`${t.pipelineId}/${t.name}: "${t.cron}" in ${t.timezone}, next fire ${t.next[0]?.utc ?? 'never'} (${t.next[0]?.local ?? '-'})`);
    if (schedules.length === 0) log('no enabled schedule triggers yet: the scheduler picks up new ones within 30 s');
    // Listening before the ready line: a Ctrl-C right after it must stop us cleanly, not kill us.
    const stopRequested = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log(`scheduler running for project ${open.project.settings.name} (Ctrl-C to stop)`);
    await stopRequested;
    log('stopping: cancelling scheduled runs and closing the workspace');
  } finally {
    await scheduler?.stop();
    await open.close();
    removeLastResort();
  }
  return 0;
}
