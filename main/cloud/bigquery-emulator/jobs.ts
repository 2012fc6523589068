import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { GoogleHttpError } from '../http-util.ts';
import { JobFailure, type Catalog, type DatasetMeta, type JobError, type JobResource } from './catalog.ts';
import { bucketLocation, resolveGcsUris, type GcsAccess, type SourceFile } from './gcs-files.ts';
import { checkBucketLocation, isMultiRegion, sameLocation } from './locations.ts';
import { runLoad } from './load-job.ts';
import { runCopy } from './copy-job.ts';
import { checkLabels } from './labels.ts';
import { dryRunQuery, resultTable, runQuery, type QueryResult } from './query-job.ts';

/** How a cancelled job ends (https://cloud.google.com/bigquery/docs/error-messages: `stopped`, "a job is canceled"). */
const STOPPED: JobError = { reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' };

/** Query results kept (as tables in `_emulator_results`); older ones are dropped. */
const KEPT_RESULTS = 200;

/** A stored job: the resource, plus the result of a query job. */
export type StoredJob = JobResource & { emulatorResult?: QueryResult };

/** Bytes received by the upload API for a load job, already in a local file. */
export interface UploadedData {
  file: string;
  bytes: number;
}

/**
 * Job lifecycle: jobs.insert records the job as RUNNING and returns; the work runs in the background, one job at
 * a time (DuckDB's connection is shared); jobs.get then sees DONE with statistics or BigQuery's errorResult.
 * Job ids are unique per emulator (a second insert with the same id answers 409, as BigQuery does).
 */
export class JobRunner {
  private readonly running = new Map<string, Promise<void>>();
  /** Aborted by jobs.cancel: the job's DuckDB statement is interrupted and the job ends `stopped`. */
  private readonly aborts = new Map<string, AbortController>();
  /** Jobs a holdJob fault keeps waiting before their work. */
  private readonly held = new Set<string>();
  /** jobs.query `requestId` → the job its first request started (kept while the emulator runs). */
  private readonly requests = new Map<string, string>();

  constructor(
    private readonly catalog: Catalog,
    private readonly access: GcsAccess,
    private readonly dataDir: string,
  ) {}

  /** Jobs left RUNNING by a previous process end as failed: their work died with it. */
  async failInterrupted(): Promise<void> {
    for (const job of [...this.catalog.jobs.values()].filter((j) => j.status.state !== 'DONE')) {
      await this.finish(job, { reason: 'backendError', message: 'the emulator stopped while this job ran; run it again' });
    }
  }

  /** The job a jobs.query request with this `requestId` already started, if any. */
  forRequest(requestId: string | undefined): StoredJob | undefined {
    const jobId = requestId === undefined ? undefined : this.requests.get(requestId);
    return jobId === undefined ? undefined : this.catalog.jobs.get(jobId);
  }

  /**
   * Records a job and starts it; 409 when the id is taken. `injected` fails it with that errorResult instead;
   * `holdMs` keeps it RUNNING that long before its work starts (a cancel ends the wait); `requestId` is jobs.query's.
   */
  async insert(
    projectId: string,
    body: Record<string, unknown>,
    opts: { upload?: UploadedData; injected?: JobError; requestId?: string; holdMs?: number } = {},
  ): Promise<StoredJob> {
    const { upload, requestId } = opts;
    let injected = opts.injected;
    const ref = (body.jobReference ?? {}) as { jobId?: string; location?: string };
    const jobId = ref.jobId ?? `job_${randomUUID().replaceAll('-', '')}`;
    if (!/^[A-Za-z0-9_-]{1,1024}$/.test(jobId))
      throw new GoogleHttpError(
        400,
        'invalid',
        `Invalid job ID "${jobId}": use letters, digits, dashes and underscores, at most 1,024 characters`,
      );
    const configuration = (body.configuration ?? {}) as Record<string, unknown>;
    if (!configuration.load && !configuration.query && !configuration.copy)
      throw new GoogleHttpError(400, 'invalid', 'the emulator runs load, query and copy jobs only (configuration.load, .query or .copy)');
    checkLabels(configuration.labels);
    const timeoutMs = jobTimeoutOf(configuration);
    // Without a location the job runs where its dataset is; with one, the dataset must be there.
    const dataset = this.datasetOf(configuration);
    const location = ref.location ?? dataset?.location ?? 'US';
    if (dataset && ref.location && !sameLocation(ref.location, dataset.location)) {
      injected ??= {
        reason: 'notFound',
        message: `Not found: Dataset ${dataset.projectId}:${dataset.datasetId} was not found in location ${ref.location}`,
      };
    }
    const now = String(Date.now());
    const job: StoredJob = {
      kind: 'bigquery#job',
      id: `${projectId}:${location}.${jobId}`,
      jobReference: { projectId, jobId, location },
      configuration: { ...configuration, jobType: configuration.load ? 'LOAD' : configuration.copy ? 'COPY' : 'QUERY' },
      status: { state: 'RUNNING' },
      statistics: { creationTime: now, startTime: now },
    };
    await this.catalog.exclusive(async (conn) => {
      if (this.catalog.jobs.has(jobId))
        throw new GoogleHttpError(409, 'duplicate', `Already Exists: Job ${projectId}:${location}.${jobId}`);
      await this.catalog.save(conn, 'job', jobId, job);
    });
    if (requestId !== undefined) this.requests.set(requestId, jobId);
    const controller = new AbortController();
    this.aborts.set(jobId, controller);
    // jobTimeoutMs (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfiguration): stopped like a cancel.
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(timedOut(timeoutMs)), timeoutMs);
    const work = injected
      ? this.finish(job, injected).finally(() => (upload ? rm(upload.file, { force: true }) : undefined))
      : this.execute(job, upload, controller.signal, opts.holdMs ?? 0);
    this.running.set(
      jobId,
      work.finally(() => {
        clearTimeout(timer);
        this.running.delete(jobId);
        this.aborts.delete(jobId);
      }),
    );
    return job;
  }

  /** A dry-run query job: checked and estimated, answered DONE, never stored (its id cannot be fetched later). */
  async dryRun(projectId: string, body: Record<string, unknown>): Promise<JobResource> {
    const configuration = (body.configuration ?? {}) as Record<string, unknown>;
    const query = configuration.query as Record<string, unknown> | undefined;
    if (!query) throw new GoogleHttpError(400, 'invalid', 'the emulator dry-runs query jobs only');
    checkLabels(configuration.labels);
    const statistics = await this.catalog.exclusive((conn) => dryRunQuery(conn, this.catalog, query, projectId));
    const location = ((body.jobReference ?? {}) as { location?: string }).location ?? this.datasetOf(configuration)?.location ?? 'US';
    return {
      kind: 'bigquery#job',
      id: `${projectId}:${location}.`,
      jobReference: { projectId, jobId: '', location },
      configuration: { ...configuration, jobType: 'QUERY' },
      status: { state: 'DONE' },
      statistics: { creationTime: String(Date.now()), totalBytesProcessed: statistics.totalBytesProcessed, query: statistics },
    };
  }

  /**
   * Requests a job's cancellation (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/cancel): answers at
   * once with the job as it is; a running job then ends DONE with errorResult `stopped` and writes nothing.
   */
  cancel(projectId: string, jobId: string, location: string | undefined): StoredJob {
    const job = this.get(projectId, jobId, location);
    this.aborts.get(jobId)?.abort();
    return job;
  }

  /**
   * The job, or 404 as BigQuery answers: a job in a single region is found only when `location` names it
   * (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/get#query-parameters); `undefined` means the
   * request named none.
   */
  get(projectId: string, jobId: string, location: string | undefined): StoredJob {
    const job = this.catalog.jobs.get(jobId);
    const where = job?.jobReference.location ?? 'US';
    const isHidden = location ? !sameLocation(location, where) : !isMultiRegion(where);
    if (!job || isHidden) throw new GoogleHttpError(404, 'notFound', `Not found: Job ${projectId}:${location ?? 'US'}.${jobId}`);
    return job;
  }

  /** The dataset a job writes to or queries by default, when it exists. */
  private datasetOf(configuration: Record<string, unknown>): DatasetMeta | undefined {
    const load = configuration.load as { destinationTable?: { datasetId?: string } } | undefined;
    const query = configuration.query as { defaultDataset?: { datasetId?: string }; destinationTable?: { datasetId?: string } } | undefined;
    const copy = configuration.copy as { destinationTable?: { datasetId?: string } } | undefined;
    const id =
      load?.destinationTable?.datasetId ??
      query?.destinationTable?.datasetId ??
      copy?.destinationTable?.datasetId ??
      query?.defaultDataset?.datasetId;
    return id ? this.catalog.datasets.get(id.toLowerCase()) : undefined;
  }

  /** Resolves when the job is DONE or `timeoutMs` has passed, whichever comes first. */
  async waitDone(jobId: string, timeoutMs: number): Promise<void> {
    const running = this.running.get(jobId);
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Waits for every running job (before closing the database); jobs still held end `stopped` now. */
  async drain(): Promise<void> {
    for (const jobId of this.held) this.aborts.get(jobId)?.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /** A holdJob fault: the job stays RUNNING `ms` before its work, or until cancelled. */
  private async hold(jobId: string, ms: number, signal: AbortSignal): Promise<void> {
    this.held.add(jobId);
    try {
      await delay(ms, undefined, { signal });
    } finally {
      this.held.delete(jobId);
    }
  }

  private async execute(job: StoredJob, upload: UploadedData | undefined, signal: AbortSignal, holdMs: number): Promise<void> {
    try {
      if (holdMs > 0) await this.hold(job.jobReference.jobId, holdMs, signal);
      const outcome = await this.catalog.exclusive((conn) => this.work(conn, job, upload, signal));
      const statistics: Record<string, unknown> = { ...job.statistics, endTime: String(Date.now()), totalSlotMs: String(outcome.slotMs) };
      if (outcome.load) {
        const l = outcome.load;
        statistics.load = {
          inputFiles: String(l.inputFiles),
          inputFileBytes: String(l.inputFileBytes),
          outputRows: String(l.outputRows),
          outputBytes: '0',
          badRecords: '0',
        };
      } else if (outcome.copy) {
        statistics.copy = { copiedRows: String(outcome.copy.copiedRows), copiedLogicalBytes: String(outcome.copy.copiedLogicalBytes) };
      } else if (outcome.query) {
        statistics.query = { ...outcome.query.statistics, totalSlotMs: String(outcome.slotMs) };
        statistics.totalBytesProcessed = outcome.query.statistics.totalBytesProcessed;
      }
      await this.finish({ ...job, statistics, ...(outcome.query ? { emulatorResult: outcome.query.result } : {}) });
      if (outcome.query) await this.expireOldResults();
    } catch (error) {
      const jobError = signal.aborted
        ? isJobError(signal.reason)
          ? signal.reason
          : STOPPED
        : error instanceof JobFailure
          ? error.toJobError()
          : { reason: 'backendError', message: `emulator error: ${error instanceof Error ? error.message : String(error)}` };
      await this.finish(job, jobError);
    } finally {
      if (upload) await rm(upload.file, { force: true });
    }
  }

  /**
   * The job's work on the connection. A cancel interrupts the DuckDB statement running; the job's own checks catch
   * one that lands between statements. Slot time is the work's wall-clock time (one slot).
   */
  private async work(conn: DuckDBConnection, job: StoredJob, upload: UploadedData | undefined, signal: AbortSignal) {
    signal.throwIfAborted();
    const interrupt = () => conn.interrupt();
    signal.addEventListener('abort', interrupt);
    const began = performance.now();
    try {
      const { load, query, copy } = job.configuration as Record<string, Record<string, unknown> | undefined>;
      const ids = { projectId: job.jobReference.projectId, jobId: job.jobReference.jobId, signal };
      const outcome = load
        ? { load: await runLoad(conn, this.catalog, load, await this.sourcesOf(load, upload, job.jobReference.jobId)) }
        : copy
          ? { copy: await runCopy(conn, this.catalog, copy, ids) }
          : { query: await runQuery(conn, this.catalog, query!, ids) };
      // Past this point the job's writes are committed: a cancel that comes now is too late, as in BigQuery.
      return { ...outcome, slotMs: Math.max(1, Math.round(performance.now() - began)) };
    } finally {
      signal.removeEventListener('abort', interrupt);
      // A cancel may have interrupted a ROLLBACK: never leave a transaction open on the shared connection.
      if (signal.aborted) await conn.run('ROLLBACK').catch((error: unknown) => void error /* none was open: the usual case */);
    }
  }

  /** Keeps the newest KEPT_RESULTS query results (BigQuery keeps them a day), so a long sandbox does not grow forever. */
  private async expireOldResults(): Promise<void> {
    const withResults = ([...this.catalog.jobs.values()] as StoredJob[])
      .filter((j) => j.emulatorResult && !j.emulatorResult.table)
      .sort((a, b) => Number(b.statistics.endTime ?? 0) - Number(a.statistics.endTime ?? 0));
    const expired = withResults.slice(KEPT_RESULTS);
    if (expired.length === 0) return;
    await this.catalog.exclusive(async (conn) => {
      for (const job of expired) {
        await conn.run(`DROP TABLE IF EXISTS ${resultTable(job.jobReference.jobId)}`);
        const { emulatorResult: _dropped, ...rest } = job;
        await this.catalog.save(conn, 'job', job.jobReference.jobId, rest);
      }
    });
  }

  private async sourcesOf(load: Record<string, unknown>, upload: UploadedData | undefined, jobId: string): Promise<SourceFile[]> {
    if (upload) return [{ uri: 'upload', name: 'upload', path: upload.file, bytes: upload.bytes }];
    const uris = Array.isArray(load.sourceUris) ? load.sourceUris.map(String) : [];
    if (uris.length === 0) throw new JobFailure('invalid', 'configuration.load.sourceUris is empty: give gs:// URIs or upload the data');
    if (uris.length > 10_000) throw new JobFailure('invalid', `a load job takes at most 10,000 source URIs; this one has ${uris.length}`);
    const files = await resolveGcsUris(uris, this.access, path.join(this.dataDir, 'downloads', jobId));
    const dataset = this.datasetOf({ load });
    for (const bucket of new Set(files.map((f) => f.uri.split('/')[2]!))) {
      if (dataset) checkBucketLocation(await bucketLocation(this.access, bucket), dataset.location);
    }
    return files;
  }

  private async finish(job: StoredJob, error?: JobError): Promise<void> {
    const done: StoredJob = {
      ...job,
      status: error ? { state: 'DONE', errorResult: error, errors: [error] } : { state: 'DONE' },
      statistics: { ...job.statistics, endTime: String(Date.now()) },
    };
    await this.catalog.exclusive((conn) => this.catalog.save(conn, 'job', job.jobReference.jobId, done));
    if (job.configuration.load) await rm(path.join(this.dataDir, 'downloads', job.jobReference.jobId), { recursive: true, force: true });
  }
}

/** `configuration.jobTimeoutMs` as a number of milliseconds, or 400 invalid. */
function jobTimeoutOf(configuration: Record<string, unknown>): number | undefined {
  const value = configuration.jobTimeoutMs;
  if (value === undefined || value === null) return undefined;
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new GoogleHttpError(400, 'invalid', `Invalid value for jobTimeoutMs: ${String(value)} (a whole number of milliseconds above 0)`);
  return ms;
}

/** How a job past its jobTimeoutMs ends: stopped, saying so. */
function timedOut(ms: number): JobError {
  return { reason: 'stopped', message: `Job execution was cancelled: Job timed out after ${(ms / 1000).toFixed(1)} sec` };
}

function isJobError(value: unknown): value is JobError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as JobError).reason === 'string' &&
    typeof (value as JobError).message === 'string'
  );
}

/** A folder for upload bodies, inside the emulator's data folder. */
export function uploadsDir(dataDir: string): string {
  const dir = path.join(dataDir, 'uploads');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The job resource as the API sends it (the stored query result left out). */
export function jobResource(job: StoredJob): JobResource {
  const { emulatorResult: _result, ...resource } = job;
  return resource;
}
