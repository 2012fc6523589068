import type { BigQuery, Job, Table } from '@google-cloud/bigquery';
import { CancelledError, OperationalError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { LogLevel } from '../model/run-events.ts';
import { explainForbidden } from './google-forbidden.ts';

/** A load job to start under our own (deterministic) id: from gs:// URIs, or from a local file uploaded with it. */
export interface LoadJobSpec {
  jobId: string;
  location: string | undefined;
  /** `configuration.load` (with `destinationTable`). */
  load: Record<string, unknown>;
  /** Uploaded with the job (multipart) instead of `load.sourceUris`. */
  localFile?: string;
}

/** A job resource, as jobs.get returns it (the fields we read). */
export interface JobMetadata {
  status?: {
    state?: string;
    errorResult?: { reason?: string; message?: string; location?: string };
    errors?: { reason?: string; message?: string; location?: string }[];
  };
  statistics?: { load?: { outputRows?: string; inputFiles?: string; inputFileBytes?: string } };
}

const UPLOAD_ATTEMPTS = 4;

/**
 * Inserts the job, and treats a 409 as "an earlier try of this same insert landed" (our id is deterministic):
 * the existing job is followed instead. The client retries JSON inserts by itself; the multipart upload it never
 * retries, so that one is retried here, with the same job id, on 5xx, 429 and dropped connections.
 */
export async function startLoadJob(
  bigquery: BigQuery,
  table: Table,
  spec: LoadJobSpec,
  log: (level: LogLevel, message: string) => void,
): Promise<Job> {
  const existing = () => bigquery.job(spec.jobId, spec.location ? { location: spec.location } : {});
  for (let attempt = 1; ; attempt++) {
    try {
      if (!spec.localFile) {
        const [job] = await bigquery.createJob({
          configuration: { load: spec.load },
          jobId: spec.jobId,
          ...(spec.location ? { location: spec.location } : {}),
        });
        return job;
      }
      const { destinationTable: _destination, ...load } = spec.load;
      const [job] = await table.createLoadJob(spec.localFile, { ...load, jobId: spec.jobId } as never);
      return job;
    } catch (error) {
      if (statusOf(error) === 409) {
        log('info', `job ${spec.jobId} already exists (an earlier try of this insert reached BigQuery): following it`);
        return existing();
      }
      if (!spec.localFile || attempt >= UPLOAD_ATTEMPTS || !isTransient(error)) throw error;
      log('warn', `uploading the data with load job ${spec.jobId} failed (${messageOf(error)}); retrying with the same job id`);
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (attempt - 1)));
    }
  }
}

/** Polls jobs.get until DONE, reporting each state; cancels the job when `signal` aborts. */
export async function waitForJob(
  job: Job,
  signal: AbortSignal,
  onPoll: (state: string, polls: number) => void,
  intervalMs = 500,
): Promise<JobMetadata> {
  for (let polls = 1; ; polls++) {
    if (signal.aborted) {
      await job.cancel().catch(() => undefined); // best effort: the run is cancelled either way
      throw new CancelledError(`cancelled while BigQuery job ${job.id} ran (cancel requested)`);
    }
    const [metadata] = (await job.getMetadata()) as [JobMetadata, ...unknown[]];
    const state = metadata.status?.state ?? 'PENDING';
    onPoll(state, polls);
    if (state === 'DONE') return metadata;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const WORLD_REASONS = new Set([
  'backendError',
  'internalError',
  'rateLimitExceeded',
  'quotaExceeded',
  'timeout',
  'stopped',
  'jobInternalError',
  'jobBackendError',
]);

/** A DONE job's errorResult/errors as an error, quoted verbatim; undefined when the job succeeded. */
export function jobFailureOf(jobId: string, metadata: JobMetadata, place: ErrorPlace): Error | undefined {
  const result = metadata.status?.errorResult;
  if (!result) return undefined;
  const others = (metadata.status?.errors ?? []).filter((e) => e.message !== result.message || e.reason !== result.reason);
  const lines = [result, ...others].map((e) => `${e.reason ?? 'error'}: ${e.message ?? ''}${e.location ? ` (at ${e.location})` : ''}`);
  const message = `BigQuery job ${jobId} failed: ${lines.join('; ')}`;
  if (WORLD_REASONS.has(result.reason ?? '')) return new OperationalError(message, { place });
  return new UserError(message, place);
}

/** The HTTP status of a client error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** 408, 429, 5xx, or no answer at all (reset, hang-up, timeout). */
function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return [408, 429, 500, 502, 503, 504].includes(status);
  return /ECONNRESET|EPIPE|socket hang up|ETIMEDOUT|ECONNREFUSED|other side closed|terminated/i.test(
    messageOf(error) + String((error as { code?: unknown })?.code ?? ''),
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A client failure as a Pipewright error: credentials and bad requests are the user's; the rest the world's. */
export function explainBigQueryError(error: unknown, place: ErrorPlace, resource?: string, project?: string): unknown {
  if (error instanceof UserError || error instanceof OperationalError || error instanceof CancelledError) return error;
  const status = statusOf(error);
  const detail = messageOf(error);
  if (status === 403 && !isRateLimit(error))
    return new UserError(`BigQuery: ${explainForbidden(error, resource ?? 'the dataset', project)}`, place);
  if (status === 401) {
    return new UserError(`BigQuery refused the credentials (401): check config.credentials — ${detail}`, {
      ...place,
      path: 'config.credentials',
    });
  }
  if (status === 400 || status === 404) return new UserError(`BigQuery answered ${status}: ${detail}`, place);
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new OperationalError(`BigQuery answered ${status}: ${detail}`, { place, permanent: true, cause: error });
  }
  return new OperationalError(`BigQuery request failed${status ? ` (${status})` : ''} after the client's retries: ${detail}`, {
    place,
    cause: error,
  });
}

/** BigQuery reports rate limits as 403 rateLimitExceeded: those are the world's, not a permission. */
function isRateLimit(error: unknown): boolean {
  return /rateLimitExceeded|quotaExceeded|Exceeded rate limits/i.test(
    `${messageOf(error)} ${JSON.stringify((error as { errors?: unknown }).errors ?? [])}`,
  );
}
