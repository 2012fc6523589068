import { randomBytes } from 'node:crypto';
import type { ProjectSwitcher } from '../api/projects-handlers.ts';
import { formatError, toErrorShape } from '../model/errors.ts';
import type { SchedulerActivity } from '../orchestration/scheduler-activity.ts';
import { initProject } from '../project/init-project.ts';
import { openProject, type OpenProject } from '../runtime/open-project.ts';
import { readRecentProjects, rememberProject } from '../runtime/recent-projects.ts';
import { startServeServer, type ServeServer } from './serve-server.ts';

/** Lets the switch's answer reach the page before its connection is closed with the server. */
const ANSWER_GRACE_MS = 100;

export interface ServeProjectsOptions {
  dir: string;
  rendererDir: string;
  host: string;
  port: number;
  /** Serving beyond loopback: the picker is refused (a token holder elsewhere must not open other folders). */
  isExposed: boolean;
  /** The recent-projects list (shared with the desktop app's File › Open Recent when they use the same folder). */
  userDataDir: string;
  scheduler: { onActivity: (activity: SchedulerActivity) => void };
  /** Each time a project is served: the first time with `isFirst` (the ready line), then after every switch. */
  onServing(server: ServeServer, open: OpenProject, isFirst: boolean): void;
}

/**
 * `pipewright serve`'s life: one project at a time on one port with one token (the page's cookie stays valid). The
 * project picker asks for a switch; the open project is closed (runs cancelled and recorded, workspace closed) and
 * the next opened. One that fails to open is reported through `projects.list` and the previous one reopens.
 */
export async function serveProjects(opts: ServeProjectsOptions, stopRequested: Promise<void>): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  let dir = opts.dir;
  let previous: string | null = null;
  let port = opts.port;
  let lastError: string | null = null;
  for (let isFirst = true; ; isFirst = false) {
    let open: OpenProject;
    try {
      open = await openProject(dir, { preflight: 'first' });
    } catch (error) {
      if (previous === null) throw error;
      lastError = `${dir} could not be opened: ${formatError(toErrorShape(error))}`;
      [dir, previous] = [previous, null];
      continue;
    }
    let requestSwitch: (next: string) => void = () => undefined;
    const switched = new Promise<string>((resolve) => (requestSwitch = resolve));
    const projects: ProjectSwitcher | { refused: string } = opts.isExposed
      ? { refused: 'serve --expose serves only the project it was started on: restart it with --project <folder>' }
      : {
          recent: () => readRecentProjects(opts.userDataDir),
          create: (target) => initProject(target, {}),
          lastError: () => lastError,
          switchTo: (target) => {
            lastError = null;
            setTimeout(() => requestSwitch(target), ANSWER_GRACE_MS);
          },
        };
    let server: ServeServer;
    try {
      server = await startServeServer({
        open,
        rendererDir: opts.rendererDir,
        host: opts.host,
        port,
        token,
        scheduler: opts.scheduler,
        projects,
      });
    } catch (error) {
      await open.close();
      throw error;
    }
    port = server.port; // a switch reopens on the same port, so the page's address and cookie still work
    opts.onServing(server, open, isFirst);
    const next = await Promise.race([stopRequested.then(() => null), switched]);
    await server.close();
    await open.close();
    if (next === null) return;
    rememberProject(opts.userDataDir, dir);
    rememberProject(opts.userDataDir, next);
    [previous, dir] = [dir, next];
  }
}
