import { explainForbidden } from '../google-forbidden.ts';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Bucket } from '@google-cloud/storage';
import { CancelledError, OperationalError, UserError, type ErrorPlace } from '../../model/errors.ts';
import { FastCrc32c } from './crc32c.ts';

/** One object to publish: a local file, its staging name, its final name, and its checksums. */
export interface PlannedObject {
  localPath: string;
  name: string;
  stagingName: string;
  rows: number;
  bytes: number;
  /** Known once staged: the checksums GCS computed, which the client has checked against the bytes it sent. */
  crc32c?: string;
  md5Hash?: string;
  /** Known once staged: the staged object's generation, so its removal can carry a precondition. */
  stagedGeneration?: string;
}

export interface UploadTuning {
  /** Files above this many bytes go resumable, in chunks; smaller ones in one multipart request. */
  resumableAbove: number;
  /** Bytes per resumable chunk (a multiple of 256 KiB). */
  chunkSize: number;
  contentType: string;
}

/** crc32c and md5 of a local file (base64, as GCS reports them), streamed. */
export async function checksumsOf(file: string): Promise<{ crc32c: string; md5Hash: string }> {
  const crc = new FastCrc32c();
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(file)) {
    crc.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { crc32c: crc.toString(), md5Hash: md5.digest('base64') };
}

/**
 * Uploads one file to its staging name with `ifGenerationMatch: 0`, which is what lets the client retry uploads
 * (cloud-protocols.md §5.1). Large files go resumable with a chunk size, the only resumable mode that survives a
 * failed PUT from a file stream. A 412 means an earlier attempt already landed: accepted when its checksum matches
 * the local file. Records the object's checksums on `object`.
 */
export async function uploadToStaging(bucket: Bucket, object: PlannedObject, tuning: UploadTuning): Promise<void> {
  const isResumable = object.bytes > tuning.resumableAbove;
  try {
    // The client checks GCS's crc32c against the bytes it sent (and deletes the object on a mismatch).
    const [file] = await bucket.upload(object.localPath, {
      destination: object.stagingName,
      resumable: isResumable,
      ...(isResumable ? { chunkSize: tuning.chunkSize } : {}),
      validation: 'crc32c',
      preconditionOpts: { ifGenerationMatch: 0 },
      metadata: { contentType: tuning.contentType, metadata: { pipewright_rows: String(object.rows) } },
    });
    object.crc32c = String(file.metadata.crc32c);
    object.md5Hash = String(file.metadata.md5Hash);
    object.stagedGeneration = String(file.metadata.generation);
  } catch (error) {
    if (statusOf(error) !== 412) throw error;
    Object.assign(object, await checksumsOf(object.localPath));
    object.stagedGeneration = await expectSameContent(bucket, object.stagingName, object, error);
  }
}

/**
 * Removes a staged object, with the generation as precondition (the Storage client turns its retries off after a
 * mutation without one). Its generation is looked up when the upload's answer never came; already gone is fine.
 */
export async function removeStaged(bucket: Bucket, object: PlannedObject): Promise<void> {
  let generation = object.stagedGeneration;
  if (generation === undefined) {
    try {
      generation = String((await bucket.file(object.stagingName).getMetadata())[0].generation);
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw error;
    }
  }
  await deleteIfUnchanged(bucket, object.stagingName, generation);
}

/**
 * Copies a staged object to its final name (a server-side copy). `liveGeneration` is the generation seen when the
 * run listed the prefix (`'0'`: absent), so a concurrent writer is not overwritten silently. Resolves to the new
 * generation.
 */
export async function publishStaged(bucket: Bucket, object: PlannedObject, liveGeneration: string): Promise<string> {
  const target = bucket.file(object.name);
  try {
    // The copy's answer is the new object's resource: its generation needs no second request.
    const [copied] = await bucket
      .file(object.stagingName)
      .copy(target, { preconditionOpts: { ifGenerationMatch: Number(liveGeneration) } });
    if (copied.metadata.generation !== undefined) return String(copied.metadata.generation);
  } catch (error) {
    if (statusOf(error) !== 412) throw error;
    // A retried copy whose first try landed answers 412 too: the content tells the two apart.
    await expectSameContent(bucket, object.name, object, error);
  }
  const [meta] = await target.getMetadata();
  return String(meta.generation);
}

/** Deletes objects, each only if still at the generation listed; objects already gone are fine. */
export async function deleteIfUnchanged(bucket: Bucket, name: string, generation: string): Promise<void> {
  try {
    await bucket.file(name).delete({ ifGenerationMatch: Number(generation), ignoreNotFound: true });
  } catch (error) {
    if (statusOf(error) !== 412) throw error;
  }
}

/** Resolves to the object's generation when it holds the same bytes as `object`; else a permanent error. */
async function expectSameContent(bucket: Bucket, name: string, object: PlannedObject, cause: unknown): Promise<string> {
  const [meta] = await bucket.file(name).getMetadata();
  if (meta.crc32c === object.crc32c && Number(meta.size) === object.bytes) return String(meta.generation);
  throw new OperationalError(`gs://${bucket.name}/${name} was changed by another writer while this export ran`, { cause, permanent: true });
}

/** Runs `fn` over `items` with at most `limit` at once; the first failure stops new work and rejects. */
export async function mapPooled<T, R>(items: T[], limit: number, signal: AbortSignal, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      if (signal.aborted) throw new CancelledError();
      const index = next++;
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}

/** The HTTP status of a client error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A client failure as a Pipewright error: credentials and missing buckets are the user's; the rest the world's. */
export function explainGcsError(error: unknown, bucket: string, place: ErrorPlace, project?: string): unknown {
  if (error instanceof UserError || error instanceof OperationalError || error instanceof CancelledError) return error;
  const status = statusOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (status === 403)
    return new UserError(`GCS: ${explainForbidden(error, `bucket ${bucket}`, project)}`, { ...place, path: 'config.bucket' });
  if (status === 401) {
    return new UserError(`GCS refused the credentials for bucket ${bucket} (401): check config.credentials — ${detail}`, {
      ...place,
      path: 'config.credentials',
    });
  }
  const credentialsProblem = explainCredentialsFailure(detail);
  if (credentialsProblem) return new UserError(credentialsProblem, { ...place, path: 'config.credentials' });
  if (status === 404 && /bucket/i.test(detail)) {
    return new UserError(`bucket ${bucket} does not exist (create it, or set create_bucket: true)`, { ...place, path: 'config.bucket' });
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new OperationalError(`GCS answered ${status}: ${detail}`, { place, permanent: true, cause: error });
  }
  return new OperationalError(`GCS request failed${status ? ` (${status})` : ''} after the client's retries: ${detail}`, {
    place,
    cause: error,
  });
}

/**
 * What to fix when Google's auth library could not get a token: no Application Default Credentials on this machine,
 * a GOOGLE_APPLICATION_CREDENTIALS file that is missing, or a service-account key whose private_key cannot be read.
 * Undefined for other failures. Retrying cannot help with any of these.
 */
export function explainCredentialsFailure(detail: string): string | undefined {
  if (/could not load the default credentials|unable to detect a project id/i.test(detail)) {
    return `no Application Default Credentials on this machine: run gcloud auth application-default login, set GOOGLE_APPLICATION_CREDENTIALS to a key file, or give the connection credentials: { key_file: … } or { key: { secret: … } } — ${detail}`;
  }
  if (/GOOGLE_APPLICATION_CREDENTIALS|the file at .* does not exist/i.test(detail)) {
    return `the key file named by GOOGLE_APPLICATION_CREDENTIALS cannot be read: fix that variable or the file — ${detail}`;
  }
  if (/DECODER routines|PEM routines|private key|invalid_grant/i.test(detail)) {
    return `Google refused the service-account key (its private_key is unreadable, or the key was deleted): store the key file's content again — ${detail}`;
  }
  return undefined;
}
