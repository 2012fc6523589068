import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError } from '../model/errors.ts';
import { isProcessAlive } from '../model/process-alive.ts';

/** How to reach a running local emulator. */
export interface LocalEmulatorInfo {
  /** `http://127.0.0.1:PORT`: the `apiEndpoint` for the official client. */
  endpoint: string;
  /** Whether this process runs it (and stops it on close); false when another process (say, the sandbox) does. */
  isOwned: boolean;
}

type EmulatorName = 'gcs' | 'bigquery';
interface Started {
  endpoint: string;
  close(): Promise<void>;
}
interface EmulatorRecord {
  endpoint: string;
  ownerPid: number;
}

/** A request every emulator answers (any HTTP answer proves it is up). */
const PROBE_PATHS: Record<EmulatorName, string> = {
  gcs: '/storage/v1/b?project=pipewright-probe',
  bigquery: '/bigquery/v2/projects/pipewright-probe/datasets',
};
const PROBE_TIMEOUT_MS = 2000;

/** One per `.pipewright` folder and emulator in this process: blocks of every run share it. */
const emulators = new Map<string, LocalEmulator>();

/**
 * A GCS or BigQuery emulator serving `.pipewright/gcs` or `.pipewright/bigquery`, started on demand inside this
 * process, like the local Postgres: one another live process already runs (recorded in
 * `.pipewright/<name>-emulator.json`, e.g. by `pipewright sandbox`) is reused, not started twice over the same folder.
 */
export class LocalEmulator {
  private starting: Promise<LocalEmulatorInfo> | undefined;
  private owned: Started | undefined;

  private constructor(
    readonly stateDir: string,
    readonly name: EmulatorName,
  ) {}

  /** The GCS emulator of the project whose local state folder is `stateDir`. */
  static gcs(stateDir: string): LocalEmulator {
    return LocalEmulator.of(stateDir, 'gcs');
  }

  /** The BigQuery emulator of the project whose local state folder is `stateDir` (it reads gs:// from the GCS one). */
  static bigquery(stateDir: string): LocalEmulator {
    return LocalEmulator.of(stateDir, 'bigquery');
  }

  private static of(stateDir: string, name: EmulatorName): LocalEmulator {
    const key = `${path.resolve(stateDir)}#${name}`;
    let emulator = emulators.get(key);
    if (!emulator) emulators.set(key, (emulator = new LocalEmulator(path.resolve(stateDir), name)));
    return emulator;
  }

  /** Folder holding the emulator's data. */
  get dataDir(): string {
    return path.join(this.stateDir, this.name);
  }

  private get label(): string {
    return this.name === 'gcs' ? 'GCS' : 'BigQuery';
  }

  private get recordFile(): string {
    return path.join(this.stateDir, `${this.name}-emulator.json`);
  }

  /** Starts the emulator unless this or another live process already runs it; resolves to its endpoint. */
  ensureRunning(log: (message: string) => void = () => undefined): Promise<LocalEmulatorInfo> {
    const previous = this.starting;
    const next = (async () => {
      const known = await previous?.catch(() => undefined); // a failed start is retried below
      if (known?.isOwned && this.owned) return known;
      return this.reuseOrStart(log);
    })();
    this.starting = next;
    return next;
  }

  /** Stops the emulator if this process runs it. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined); // a start in flight finishes first, so its server is not leaked
    const owned = this.owned;
    this.owned = undefined;
    this.starting = undefined;
    if (!owned) return;
    await owned.close();
    const record = await this.readRecord();
    if (record?.ownerPid === process.pid) await rm(this.recordFile, { force: true });
  }

  private async reuseOrStart(log: (message: string) => void): Promise<LocalEmulatorInfo> {
    const record = await this.readRecord();
    if (record && record.ownerPid !== process.pid && isProcessAlive(record.ownerPid)) {
      if (await answers(record.endpoint, this.name)) return { endpoint: record.endpoint, isOwned: false };
      // A second emulator over the same folder would fight the first for its files (BigQuery's DuckDB file is locked).
      throw new OperationalError(
        `process ${record.ownerPid} runs the local ${this.label} emulator on ${this.dataDir} but does not answer at ${record.endpoint}: stop it (or, if that process is not Pipewright, delete ${this.recordFile}), then retry`,
        { permanent: true },
      );
    }
    await mkdir(this.dataDir, { recursive: true });
    let started: Started;
    try {
      started = this.name === 'gcs' ? await this.startGcs() : await this.startBigQuery(log);
    } catch (error) {
      if (error instanceof OperationalError) throw error;
      throw new OperationalError(
        `the local ${this.label} emulator did not start: ${error instanceof Error ? error.message : String(error)}`,
        { permanent: true, cause: error },
      );
    }
    this.owned = started;
    await writeFile(this.recordFile, JSON.stringify({ endpoint: started.endpoint, ownerPid: process.pid } satisfies EmulatorRecord));
    log(`started the local ${this.label} emulator on ${started.endpoint} (data in ${this.dataDir})`);
    return { endpoint: started.endpoint, isOwned: true };
  }

  private async startGcs(): Promise<Started> {
    // Imported on first use: the emulator pulls in the Storage library, which runs that need no GCS should not load.
    const { startGcsEmulator } = await import('../cloud/gcs-emulator/server.ts');
    const emulator = await startGcsEmulator({ root: this.dataDir });
    return { endpoint: emulator.url, close: () => emulator.close() };
  }

  private async startBigQuery(log: (message: string) => void): Promise<Started> {
    // Imported on first use, like the GCS emulator (it brings the BigQuery REST routes and their DuckDB catalog).
    const { startBigQueryEmulator } = await import('../cloud/bigquery-emulator/server.ts');
    // Load jobs read gs:// URIs from the GCS emulator's folder, so both must serve the same project.
    const gcs = await LocalEmulator.gcs(this.stateDir).ensureRunning(log);
    const emulator = await startBigQueryEmulator({
      dataDir: this.dataDir,
      gcsDataDir: LocalEmulator.gcs(this.stateDir).dataDir,
      gcsEndpoint: gcs.endpoint,
    });
    return { endpoint: emulator.endpoint, close: () => emulator.close() };
  }

  private async readRecord(): Promise<EmulatorRecord | undefined> {
    const text = await readFile(this.recordFile, 'utf8').catch(() => undefined); // no record: none known to run
    if (!text) return undefined;
    try {
      return JSON.parse(text) as EmulatorRecord;
    } catch {
      return undefined; // a torn record (crash while writing) means: start our own
    }
  }
}

/** Stops the emulators this process runs for the project at `stateDir` (BigQuery first: it may read from GCS). */
export async function stopLocalEmulators(stateDir: string): Promise<void> {
  await LocalEmulator.bigquery(stateDir).stop();
  await LocalEmulator.gcs(stateDir).stop();
}

async function answers(endpoint: string, name: EmulatorName): Promise<boolean> {
  try {
    const response = await fetch(endpoint + PROBE_PATHS[name], { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false; // refused or silent: not usable
  }
}
