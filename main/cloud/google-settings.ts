import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { ServiceAccountKey } from '../model/connection-profile.ts';
import { otherCredentialKind } from './service-account-key.ts';

/** The fields both Google clients take, inline in a block's config or from a connection profile. */
export const googleSettingsSchema = z.strictObject({
  /** A profile of connections.yaml of the matching type; fields set here win over its. */
  connection: z.string().min(1).optional(),
  /** `http://127.0.0.1:PORT` for the local emulator; absent for Google Cloud. */
  endpoint: z.url().optional(),
  project_id: z.string().min(1).optional(),
  /** `none` (emulator), `adc` (Application Default Credentials), or a service-account key file. */
  credentials: z.union([z.enum(['none', 'adc']), z.strictObject({ key_file: z.string().min(1) })]).optional(),
  /** The client's own retries of each request (429, 5xx, rate limits, resets). */
  retry: z
    .strictObject({
      max_retries: z.number().int().min(0).max(20).optional(),
      /** Cap on one retry delay, in seconds; the clients cannot go below 1. */
      max_delay_seconds: z.number().min(1).max(600).optional(),
    })
    .optional(),
});
export type GoogleSettings = z.infer<typeof googleSettingsSchema> & { service_account_key?: ServiceAccountKey };

/** The client options both Google clients share: which project, which credentials, the endpoint and retries. */
export interface GoogleClientOptions {
  /** Undefined until resolved: for Google Cloud without project_id, the auth library's project (resolveProjectId). */
  projectId: string | undefined;
  apiEndpoint?: string;
  keyFilename?: string;
  credentials?: { client_email: string; private_key: string };
  retryOptions: { autoRetry: boolean; maxRetries?: number; maxRetryDelay?: number };
  /** True when the client must make no auth traffic at all (the emulator). */
  isAnonymous: boolean;
}

/**
 * Resolves the credentials (none for an emulator, ADC, a key file or a key from a secret) and the shared options;
 * a bad key file fails here with the file and what is wrong, not deep in the client. `projectId` is always set, so
 * the clients never search for one.
 */
export function googleClientOptions(settings: GoogleSettings, projectDir: string, place: ErrorPlace): GoogleClientOptions {
  const key = settings.service_account_key;
  const credentials = settings.credentials ?? (key ? 'key' : settings.endpoint ? 'none' : 'adc');
  if (credentials === 'none' && !settings.endpoint) {
    throw new UserError('credentials: none only works with an endpoint (the local emulator); use adc or a key_file for Google Cloud', {
      ...place,
      path: 'config.credentials',
    });
  }
  const retry = settings.retry;
  const options: GoogleClientOptions = {
    // The emulator's default project applies to emulator connections only; Google Cloud needs a real one.
    projectId: settings.project_id ?? (credentials === 'none' ? 'pipewright-local' : undefined),
    // maxRetries 0 is read as "default" by the clients (a truthiness test), so none means autoRetry off.
    retryOptions: {
      autoRetry: retry?.max_retries !== 0,
      ...(retry?.max_retries ? { maxRetries: retry.max_retries } : {}),
      ...(retry?.max_delay_seconds ? { maxRetryDelay: retry.max_delay_seconds } : {}),
    },
    isAnonymous: credentials === 'none',
  };
  if (settings.endpoint) options.apiEndpoint = settings.endpoint.replace(/\/+$/, '');
  if (typeof credentials === 'object') {
    const keyFile = path.resolve(projectDir, credentials.key_file);
    const fromFile = readKeyFile(keyFile, credentials.key_file, place);
    options.keyFilename = keyFile;
    options.projectId = settings.project_id ?? fromFile.project_id ?? options.projectId;
  }
  if (credentials === 'key' && key) {
    options.credentials = { client_email: key.client_email, private_key: key.private_key };
    options.projectId = settings.project_id ?? key.project_id ?? options.projectId;
  }
  return options;
}

/** Reads a service-account key, failing with the file and the missing field rather than deep in the client. */
function readKeyFile(file: string, written: string, place: ErrorPlace): { project_id?: string } {
  const where = { ...place, path: 'config.credentials.key_file', file: written };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(
      `cannot read the service-account key ${written} (${file}): ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      where,
    );
  }
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UserError(`${written} is not JSON: download the service-account key again (IAM → Service accounts → Keys)`, where);
  }
  const other = otherCredentialKind(key);
  if (other) throw new UserError(`${written} is ${other}`, where);
  const missing = ['type', 'client_email', 'private_key'].filter((field) => typeof key[field] !== 'string');
  if (missing.length > 0) throw new UserError(`${written} is not a service-account key: it lacks ${missing.join(', ')}`, where);
  return typeof key.project_id === 'string' ? { project_id: key.project_id } : {};
}

/**
 * The project for a Google Cloud client without project_id: the one Google's auth library resolves (environment
 * GOOGLE_CLOUD_PROJECT, gcloud's config, the key's project_id, the metadata server). None: a UserError that says
 * to set project_id, before anything runs.
 */
export async function resolveProjectId(
  options: Pick<GoogleClientOptions, 'projectId' | 'keyFilename' | 'credentials'>,
  place: ErrorPlace,
  owner = 'the connection',
): Promise<string> {
  if (options.projectId) return options.projectId;
  const { GoogleAuth } = await import('google-auth-library');
  const auth = new GoogleAuth({
    ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  let found: string | null | undefined;
  try {
    found = await auth.getProjectId();
  } catch (error) {
    // "Unable to detect a Project Id": nothing found anywhere; explained below.
    void error;
  }
  if (found) return found;
  throw new UserError(
    `set project_id on ${owner}: Google's auth library found no project (GOOGLE_CLOUD_PROJECT, gcloud config, the credentials)`,
    { path: 'config.project_id', ...place },
  );
}

/** How messages name where project_id goes: the connection, or the block's own config. */
export function connectionName(settings: GoogleSettings): string {
  return settings.connection ? `connection ${settings.connection}` : 'the block (config.project_id) or its connection';
}
