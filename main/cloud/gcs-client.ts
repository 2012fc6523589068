import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Storage, StorageOptions } from '@google-cloud/storage';
import { z } from 'zod';
import { UserError, type ErrorPlace } from '../errors.ts';

/**
 * How to reach GCS. Today these sit in the block's config; a connection profile (main/connections) will supply the
 * same fields once it exists, and the block will merge `connection: <name>` over them.
 */
export const gcsSettingsSchema = z.strictObject({
  /** `http://127.0.0.1:PORT` for the local emulator; absent for Google Cloud. */
  endpoint: z.url().optional(),
  project_id: z.string().min(1).optional(),
  /** `none` (emulator), `adc` (Application Default Credentials), or a service-account key file. */
  credentials: z.union([z.enum(['none', 'adc']), z.strictObject({ key_file: z.string().min(1) })]).optional(),
  /** The client's own retries of each request (429, 5xx, resets). */
  retry: z
    .strictObject({
      max_retries: z.number().int().min(0).max(20).optional(),
      /** Cap on one retry delay, in seconds; the client cannot go below 1. */
      max_delay_seconds: z.number().min(1).max(600).optional(),
    })
    .optional(),
});
export type GcsSettings = z.infer<typeof gcsSettingsSchema>;

/**
 * A Storage client for these settings. With an endpoint it talks to that host only (no Google auth traffic: the
 * client skips auth for custom endpoints); `projectId` is always set so the client never searches for one.
 * The client library is imported here, on first use: loading it costs ~300 ms and ~40 MB, which every CLI start
 * and every run that uses no GCS block would otherwise pay.
 */
export async function createStorageClient(settings: GcsSettings, projectDir: string, place: ErrorPlace): Promise<Storage> {
  const credentials = settings.credentials ?? (settings.endpoint ? 'none' : 'adc');
  if (credentials === 'none' && !settings.endpoint) {
    throw new UserError('credentials: none only works with an endpoint (the local emulator); use adc or a key_file for Google Cloud', { ...place, path: 'config.credentials' });
  }
  const options: StorageOptions = { projectId: settings.project_id ?? 'pipewright-local' };
  if (settings.endpoint) options.apiEndpoint = settings.endpoint.replace(/\/+$/, '');
  if (typeof credentials === 'object') {
    const keyFile = path.resolve(projectDir, credentials.key_file);
    const key = readKeyFile(keyFile, credentials.key_file, place);
    options.keyFilename = keyFile;
    options.projectId = settings.project_id ?? key.project_id ?? options.projectId;
  }
  const retry = settings.retry;
  // maxRetries 0 is read as "default" by the client (a truthiness test), so none means autoRetry off.
  options.retryOptions = {
    autoRetry: retry?.max_retries !== 0,
    ...(retry?.max_retries ? { maxRetries: retry.max_retries } : {}),
    ...(retry?.max_delay_seconds ? { maxRetryDelay: retry.max_delay_seconds } : {}),
  };
  const gcs = await import('@google-cloud/storage');
  return new gcs.Storage(options);
}

/** Reads a service-account key, failing with the file and the missing field rather than deep in the client. */
function readKeyFile(file: string, written: string, place: ErrorPlace): { project_id?: string } {
  const where = { ...place, path: 'config.credentials.key_file', file: written };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the service-account key ${written}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, where);
  }
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UserError(`${written} is not JSON: download the service-account key again (IAM → Service accounts → Keys)`, where);
  }
  const missing = ['type', 'client_email', 'private_key'].filter((field) => typeof key[field] !== 'string');
  if (missing.length > 0) throw new UserError(`${written} is not a service-account key: it lacks ${missing.join(', ')}`, where);
  return typeof key.project_id === 'string' ? { project_id: key.project_id } : {};
}
