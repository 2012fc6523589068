import { createApiHandlers, type ApiHandlers, type LocalApi } from './handlers.ts';
import type { EventName } from './contract.ts';
import { Scheduler } from '../orchestration/scheduler.ts';
import type { SchedulerAccess } from './schedules-handlers.ts';
import type { ProjectSwitcher } from './projects-handlers.ts';
import type { SchedulerActivity } from '../orchestration/scheduler-activity.ts';
import { watchProject } from '../runtime/watch-project.ts';
import type { OpenProject } from '../runtime/open-project.ts';

export interface ProjectBackend {
  /** The API contract's methods over the project, for a transport to dispatch to. */
  handlers: ApiHandlers;
  /** Set by the HTTP server that serves these handlers once it listens (`app.info` reports it). */
  local: LocalApi;
  /** Stops the scheduler and the file watcher (the project itself is closed by its owner). */
  close(): Promise<void>;
}

/**
 * Everything a shell (the Electron app, `pipewright serve`) runs beside an open project: the API handlers, a file
 * watcher that reports pipelines edited in other editors, and — when asked — the scheduler firing schedule triggers.
 * `emit` pushes the contract's events to every connected window.
 */
export async function startProjectBackend(
  open: OpenProject,
  emit: (event: EventName, payload: unknown) => void,
  opts: { scheduler?: { onActivity: (activity: SchedulerActivity) => void }; projects?: ProjectSwitcher | { refused: string } } = {},
): Promise<ProjectBackend> {
  const local: LocalApi = { origin: null };
  const schedules: SchedulerAccess = {};
  const handlers = createApiHandlers(open, emit, local, schedules, opts.projects);
  let scheduler: Scheduler | undefined;
  // Edits made in other editors reach every open window within about a second.
  const watcher = watchProject(open.project.dir, (change) => {
    emit('pipelines.changed', change);
    // An edited trigger takes effect now rather than at the scheduler's next periodic re-read.
    void scheduler?.rescan();
  });
  try {
    if (opts.scheduler) {
      // Its runs' events reach the shells through the run launcher, like every other run's (see createApiHandlers).
      scheduler = new Scheduler({ open, onActivity: opts.scheduler.onActivity });
      await scheduler.start();
      schedules.scheduler = scheduler;
    }
  } catch (error) {
    watcher.close();
    throw error;
  }
  return {
    handlers,
    local,
    close: async () => {
      await scheduler?.stop();
      watcher.close();
    },
  };
}
