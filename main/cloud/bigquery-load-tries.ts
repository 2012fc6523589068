import { createHash } from 'node:crypto';
import type { BigQuery, Job } from '@google-cloud/bigquery';
import { OperationalError, type ErrorPlace } from '../model/errors.ts';
import type { LogLevel } from '../model/run-events.ts';
import { jobIdFrom } from './bigquery-names.ts';
import { statusOf, type JobMetadata } from './bigquery-jobs.ts';

/** Failed jobs one logical load may leave behind before giving up (each retry or resume after a failed job adds one). */
const MAX_TRIES = 50;

/**
 * What one load is, whatever attempt or process carries it out. Not the data's identity: a resume reads the
 * upstream's latest output, which a newer run may have replaced (and loaded itself); the run's own load is the one
 * to find, whatever it read.
 */
export interface LogicalLoad {
  /** The run it belongs to (BlockContext.originRunId): a resume's first run. */
  originRunId: string;
  blockId: string;
  /** `project.dataset.table` and the write disposition: a changed destination is another load. */
  destination: string;
}

/** The earlier job to follow, or the id to start the next one under. */
export type LoadTry = { earlier: Job; jobId: string; metadata: JobMetadata } | { earlier?: undefined; jobId: string };

/**
 * Job ids of one logical load are `pipewright_<origin run>_<block>_<hash of the destination>_t<n>`, so every
 * attempt and every resume finds the jobs of the ones before it with jobs.get, in order: a job that is running or
 * succeeded is followed (never a second load), a failed one is passed over for try n+1. When jobs.get itself fails,
 * the attempt fails without starting anything, so a load is never started while an earlier one might be running.
 */
export async function findLoadTry(
  bigquery: BigQuery,
  load: LogicalLoad,
  location: string | undefined,
  place: ErrorPlace,
  log: (level: LogLevel, message: string) => void,
): Promise<LoadTry> {
  const hash = createHash('sha256').update(load.destination).digest('hex').slice(0, 16);
  const base = jobIdFrom(['pipewright', load.originRunId, load.blockId, hash]);
  for (let n = 1; n <= MAX_TRIES; n++) {
    const jobId = `${base.slice(0, 1000)}_t${n}`;
    const job = bigquery.job(jobId, location ? { location } : {});
    const metadata = await metadataIfExists(job);
    if (!metadata) return { jobId };
    const state = metadata.status?.state ?? 'PENDING';
    const failure = metadata.status?.errorResult;
    if (state === 'DONE' && failure) {
      log(
        'info',
        `earlier load job ${jobId} of this load failed (${failure.reason ?? 'error'}: ${failure.message ?? ''}): starting another`,
      );
      continue;
    }
    log(
      'info',
      state === 'DONE'
        ? `load job ${jobId}, started earlier for this same load (run ${load.originRunId}), already succeeded: not loading again`
        : `load job ${jobId}, started earlier for this same load, is ${state}: following it instead of loading again`,
    );
    return { earlier: job, jobId, metadata };
  }
  throw new OperationalError(`${MAX_TRIES} load jobs of this load (${base}_t1…) failed: see the latest one's error in BigQuery`, {
    place,
    permanent: true,
  });
}

/** jobs.get, or undefined on 404 (no such job); any other failure is thrown (the caller cannot tell, so must not start one). */
async function metadataIfExists(job: Job): Promise<JobMetadata | undefined> {
  try {
    const [metadata] = (await job.getMetadata()) as [JobMetadata, ...unknown[]];
    return metadata;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}
