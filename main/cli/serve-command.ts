import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UserError } from '../model/errors.ts';
import { defaultUserDataDir } from '../runtime/recent-projects.ts';
import { serveProjects } from '../serve/serve-projects.ts';
import { formatActivity } from '../orchestration/scheduler-activity.ts';
import { installLastResort } from '../runtime/last-resort.ts';
import { resolveProjectDir } from './project-dir.ts';
import { UsageError } from './usage.ts';

/** What another machine reaches when serve listens beyond loopback: said before it does. */
export const EXPOSE_NOTICE =
  'reachable from other machines: anyone with the token can run pipelines (running their code as you), ' +
  'read every block output and edit pipeline and block files; the token is the only guard and the traffic is plain HTTP';

/**
 * `pipewright serve [--project <dir>] [--port 6789] [--host 127.0.0.1] [--expose]`: serves the UI and the API for
 * one project at a time (the page's project picker switches, except with --expose) until SIGINT/SIGTERM. Prints
 * `serving <url>` (the ready signal tests wait for) with the token. A host other than loopback needs --expose, which
 * says what it exposes.
 */
export async function serveCommand(argv: string[], hooks: { onServing?: (url: string) => void } = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: 'string' },
      port: { type: 'string', default: '6789' },
      host: { type: 'string', default: '127.0.0.1' },
      expose: { type: 'boolean', default: false },
    },
  });
  if (!isLoopback(values.host) && !values.expose) {
    throw new UsageError(`--host ${values.host} would make this project ${EXPOSE_NOTICE}. Add --expose to serve it so anyway`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port must be a port number (0 picks a free one), not '${values.port}'`);
  const rendererDir = findBuiltRenderer();
  const dir = await resolveProjectDir(values.project);
  // Listening before the ready line: a Ctrl-C (or a test's SIGINT) right after it must stop us cleanly, not kill us.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // A fault in one run or request must not take the server (and its scheduler) down with it.
  const removeLastResort = installLastResort();
  try {
    await serveProjects(
      {
        dir,
        rendererDir,
        host: values.host,
        port,
        isExposed: !isLoopback(values.host),
        userDataDir: defaultUserDataDir(),
        // Schedules fire while serving; their fires and results are logged like `pipewright schedule` logs them.
        scheduler: { onActivity: (activity) => process.stdout.write(`${formatActivity(activity)}\n`) },
        onServing: (server, open, isFirst) => {
          if (!isFirst)
            return void process.stdout.write(`pipewright serve: switched to project ${open.project.settings.name} (${open.project.dir})\n`);
          if (!isLoopback(values.host)) process.stderr.write(`warning: --expose: serving on ${values.host}, ${EXPOSE_NOTICE}\n`);
          process.stdout.write(`pipewright serve: project ${open.project.settings.name}\nserving ${server.url}\n(Ctrl-C to stop)\n`);
          hooks.onServing?.(server.url);
        },
      },
      stopRequested.then(() => void process.stdout.write('stopping: cancelling runs and closing the workspace\n')),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UserError(`port ${port} is in use: pass --port <another> (or 0 for a free one)`);
    throw error;
  } finally {
    removeLastResort();
  }
  return 0;
}

/** out/renderer from a source checkout (main/cli → ../../out) or from the bundled CLI (out/main → ../renderer). */
function findBuiltRenderer(): string {
  const candidates = ['../../out/renderer', '../renderer'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((dir) => existsSync(`${dir}/index.html`));
  if (!found) throw new UserError('the UI is not built: run `npm run build` in the Pipewright folder, then serve again');
  return found;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}
