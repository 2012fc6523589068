import { parseArgs } from 'node:util';
import { loadProject } from '../project/load-project.ts';
import type { Project } from '../model/project.ts';
import { resolvePostgresConnection } from '../connections/resolve-connection.ts';
import { LocalEmulator, stopLocalEmulators } from '../connections/local-emulators.ts';
import { LocalPostgres } from '../postgres/local-server.ts';
import { resolveProjectDir } from './project-dir.ts';

type Say = (line: string) => void;

/**
 * `pipewright sandbox`: starts the project's local Postgres (creating the databases of its local_postgres
 * connections), GCS emulator and BigQuery emulator, prints how to connect, and keeps them running until Ctrl-C;
 * runs of the project meanwhile use these instead of starting their own. Resolves to the exit code.
 */
export async function sandboxCommand(
  argv: string[],
  waitForStop: (stopEarly: AbortSignal) => Promise<unknown> = untilSignal,
): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { project: { type: 'string' } } });
  const loaded = await loadProject(await resolveProjectDir(values.project));
  const say: Say = (line) => process.stdout.write(`${line}\n`);
  // Listening from the start: a Ctrl-C while the servers start stops them cleanly once they are up.
  const startFailed = new AbortController();
  const stopped = waitForStop(startFailed.signal);
  try {
    await startPostgres(loaded, say);
    await startCloudEmulators(loaded, say);
    say('the sandbox is running; press Ctrl-C to stop it');
    await stopped;
  } catch (error) {
    startFailed.abort(); // nothing to wait for: let the process exit with the error
    throw error;
  } finally {
    await stopLocalEmulators(loaded.stateDir);
    await LocalPostgres.at(loaded.stateDir).stop();
  }
  say('stopped');
  return 0;
}

async function startPostgres(loaded: Project, say: Say): Promise<void> {
  const locals = Object.entries(loaded.connections)
    .filter(([, profile]) => profile.type === 'local_postgres')
    .map(([name]) => name);
  // A project without a local_postgres profile still gets a server, with the default database.
  const project = locals.length ? loaded : { ...loaded, connections: { ...loaded.connections, sandbox: { type: 'local_postgres' } } };
  for (const name of locals.length ? locals : ['sandbox']) {
    const conn = await resolvePostgresConnection(project, name, { log: say });
    const url = `postgresql://${conn.user}:${encodeURIComponent(conn.password ?? '')}@${conn.host}:${conn.port}/${encodeURIComponent(conn.database)}`;
    say(`${name}: host ${conn.host}  port ${conn.port}  user ${conn.user}  database ${conn.database}`);
    say(`  psql "${url}"`);
  }
}

/** Starts the GCS and BigQuery emulators; prints the YAML that reaches them. */
async function startCloudEmulators(project: Project, say: Say): Promise<void> {
  const gcs = await LocalEmulator.gcs(project.stateDir).ensureRunning(say);
  say(`GCS emulator: ${gcs.endpoint}  (objects in ${LocalEmulator.gcs(project.stateDir).dataDir})`);
  const bq = await LocalEmulator.bigquery(project.stateDir).ensureRunning(say);
  say(`BigQuery emulator: ${bq.endpoint}  (tables in ${LocalEmulator.bigquery(project.stateDir).dataDir})`);
  say('connections.yaml: runs of this project use these emulators through local_* profiles (started on demand when no sandbox runs):');
  say('  local_gcs:\n    type: local_gcs');
  say('  local_bq:\n    type: local_bigquery');
  say('other projects and tools can reach them while the sandbox runs (the ports change on every start):');
  say(`  sandbox_gcs:\n    type: gcs\n    endpoint: ${gcs.endpoint}\n    credentials: none`);
  say(`  sandbox_bq:\n    type: bigquery\n    endpoint: ${bq.endpoint}\n    credentials: none`);
  say(
    `to rehearse a real project's problems: curl -X POST ${gcs.endpoint}/_emulator/modes -d '{"foreignBuckets":["pipewright-local-nyc-taxi"]}' (see the README, "BigQuery")`,
  );
}

/** Resolves on SIGINT or SIGTERM, or when `stopEarly` aborts. */
function untilSignal(stopEarly: AbortSignal): Promise<void> {
  // Signal listeners alone do not keep Node running: the timer does, until a signal arrives.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise((resolve) => {
    const done = () => {
      clearInterval(keepAlive);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      stopEarly.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    stopEarly.addEventListener('abort', done, { once: true });
  });
}
