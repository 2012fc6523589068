import { readFile } from 'node:fs/promises';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { ServiceAccountKey } from '../model/connection-profile.ts';

const REQUIRED = ['type', 'client_email', 'private_key'] as const;

/**
 * Validates service-account key JSON. `source` says where it came from (`key file keys/sa.json`, `secret gcs_key`,
 * `environment variable GCS_KEY`), so every message names the thing to fix.
 */
export function parseServiceAccountKey(text: string, source: string, place: ErrorPlace): ServiceAccountKey {
  let key: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    key = parsed as Record<string, unknown>;
  } catch {
    throw new UserError(
      `${source} is not a service-account key (not a JSON object): download the key again (IAM → Service accounts → Keys) and store its whole content`,
      place,
    );
  }
  const other = otherCredentialKind(key);
  if (other) throw new UserError(`${source} is ${other}`, place);
  const missing = REQUIRED.filter((field) => typeof key[field] !== 'string' || key[field] === '');
  if (missing.length > 0) throw new UserError(`${source} is not a service-account key: it lacks ${missing.join(', ')}`, place);
  return {
    type: String(key.type),
    client_email: String(key.client_email),
    private_key: String(key.private_key),
    ...(typeof key.project_id === 'string' ? { project_id: key.project_id } : {}),
  };
}

/** Reads and validates a key file; a missing or unreadable file fails naming it. */
export async function readServiceAccountKeyFile(file: string, written: string, place: ErrorPlace): Promise<ServiceAccountKey> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(
      `cannot read the service-account key file ${written} (${(error as NodeJS.ErrnoException).code ?? String(error)}): fix the path or download the key again`,
      place,
    );
  }
  return parseServiceAccountKey(text, `key file ${written}`, place);
}

/**
 * What a JSON credential file is when it is not a service-account key, and what to use instead; undefined for a
 * service-account key (or anything unrecognised, which the field checks then explain).
 */
export function otherCredentialKind(key: Record<string, unknown>): string | undefined {
  if (key.installed || key.web) {
    return 'an OAuth client secret (client_secret_….json), not a service-account key: create a key under IAM → Service accounts → Keys, or run gcloud auth application-default login and use credentials: adc';
  }
  if (key.type === 'authorized_user') {
    return 'your own user credentials (written by gcloud auth application-default login), not a service-account key: use credentials: adc instead of a key file';
  }
  if (key.type === 'external_account' || key.type === 'impersonated_service_account') {
    return `a ${String(key.type).replaceAll('_', ' ')} configuration, not a service-account key: point GOOGLE_APPLICATION_CREDENTIALS at it and use credentials: adc`;
  }
  return undefined;
}
