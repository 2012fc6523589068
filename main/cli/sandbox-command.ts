import { parseArgs } from 'node:util';
import { loadProject } from '../project/load-project.ts';
import { resolveConnection } from '../connections/resolve-connection.ts';
import { LocalPostgres } from '../postgres/local-server.ts';
import { resolveProjectDir } from './project-dir.ts';

/**
 * `pipewright sandbox`: starts the project's local Postgres (creating the databases of its local_postgres
 * connections), prints how to connect, and keeps it running until Ctrl-C; resolves to the exit code.
 */
export async function sandboxCommand(argv: string[], waitForStop: () => Promise<unknown> = untilSignal): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { project: { type: 'string' } } });
  const loaded = await loadProject(await resolveProjectDir(values.project));
  const locals = Object.entries(loaded.connections).filter(([, profile]) => profile.type === 'local_postgres').map(([name]) => name);
  // A project without a local_postgres profile still gets a server, with the default database.
  const project = locals.length ? loaded : { ...loaded, connections: { ...loaded.connections, sandbox: { type: 'local_postgres' } } };
  const names = locals.length ? locals : ['sandbox'];
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    for (const name of names) {
      const conn = await resolveConnection(project, name, { log: say });
      const url = `postgresql://${conn.user}:${encodeURIComponent(conn.password ?? '')}@${conn.host}:${conn.port}/${encodeURIComponent(conn.database)}`;
      say(`${name}: host ${conn.host}  port ${conn.port}  user ${conn.user}  database ${conn.database}`);
      say(`  psql "${url}"`);
    }
    say('local Postgres is running; press Ctrl-C to stop it');
    await waitForStop();
  } finally {
    await LocalPostgres.at(project.stateDir).stop();
  }
  say('stopped');
  return 0;
}

function untilSignal(): Promise<void> {
  // Signal listeners alone do not keep Node running: the timer does, until a signal arrives.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise((resolve) => {
    const done = () => {
      clearInterval(keepAlive);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
