import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UserError } from '../model/errors.ts';
import { openProject } from '../runtime/open-project.ts';
import { startServeServer } from '../serve/serve-server.ts';
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
 * one project until SIGINT/SIGTERM. Prints `serving <url>` (the ready signal tests wait for) with the token. A host
 * other than loopback needs --expose, which says what it exposes.
 */
export async function serveCommand(argv: string[], hooks: { onServing?: (url: string) => void } = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: 'string' }, port: { type: 'string', default: '6789' }, host: { type: 'string', default: '127.0.0.1' },
      expose: { type: 'boolean', default: false },
    },
  });
  if (!isLoopback(values.host) && !values.expose) {
    throw new UsageError(`--host ${values.host} would make this project ${EXPOSE_NOTICE}. Add --expose to serve it so anyway`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number (0 picks a free one), not '${values.port}'`);
  const rendererDir = findBuiltRenderer();
  const open = await openProject(await resolveProjectDir(values.project), { preflight: 'first' });
  // A fault in one run or request must not take the server (and its scheduler) down with it.
  const removeLastResort = installLastResort();
  let server;
  try {
    // Schedules fire while serving; their fires and results are logged like `pipewright schedule` logs them.
    const scheduler = { onActivity: (activity: Parameters<typeof formatActivity>[0]) => process.stdout.write(`${formatActivity(activity)}\n`) };
    server = await startServeServer({ open, rendererDir, host: values.host, port, scheduler });
  } catch (error) {
    removeLastResort();
    await open.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError(`port ${port} is in use: pass --port <another> (or 0 for a free one)`);
    throw error;
  }
  // Listening before the ready line: a Ctrl-C (or a test's SIGINT) right after it must stop us cleanly, not kill us.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (!isLoopback(values.host)) process.stderr.write(`warning: --expose: serving on ${values.host}, ${EXPOSE_NOTICE}\n`);
  process.stdout.write(`pipewright serve: project ${open.project.settings.name}\nserving ${server.url}\n(Ctrl-C to stop)\n`);
  hooks.onServing?.(server.url);
  await stopRequested;
  process.stdout.write('stopping: cancelling runs and closing the workspace\n');
  await server.close();
  await open.close();
  removeLastResort();
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
