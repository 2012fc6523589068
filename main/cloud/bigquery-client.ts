import { createRequire } from 'node:module';
import type { BigQuery, BigQueryOptions } from '@google-cloud/bigquery';
import { z } from 'zod';
import type { ErrorPlace } from '../model/errors.ts';
import { connectionName, googleClientOptions, googleSettingsSchema, resolveProjectId, type GoogleSettings } from './google-settings.ts';

/**
 * How to reach BigQuery: inline in the block's config, or from a profile of connections.yaml named by `connection`
 * (else `default_connections.bigquery`), merged beneath the inline fields (main/connections/block-connection.ts).
 */
export const bigquerySettingsSchema = googleSettingsSchema.extend({
  /** Where datasets and jobs live (`US`, `EU`, `europe-west1`, …); default: BigQuery's (US). */
  location: z.string().min(1).optional(),
});
export type BigQuerySettings = z.infer<typeof bigquerySettingsSchema>;
/** Settings after merging a connection, whose service-account key may come from a secret rather than a file. */
export type BigQueryClientSettings = BigQuerySettings & GoogleSettings;

/** Reasons BigQuery uses for "slow down": retried even when sent with 403 (bigquery 9.x stopped doing so). */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'backendError']);

/**
 * A BigQuery client for these settings. With credentials `none` it gets a pass-through auth client, so it makes
 * no Google auth traffic at all (without one it probes the GCE metadata server: cloud-protocols.md §1.2).
 * The library is imported on first use.
 */
export async function createBigQueryClient(settings: BigQueryClientSettings, projectDir: string, place: ErrorPlace): Promise<BigQuery> {
  const { isAnonymous, retryOptions, ...shared } = googleClientOptions(settings, projectDir, place);
  const options: BigQueryOptions = {
    ...shared,
    projectId: await resolveProjectId(shared, place, connectionName(settings)),
    ...(settings.location ? { location: settings.location } : {}),
    retryOptions: { ...retryOptions, retryableErrorFn: isRetryable },
  };
  const { BigQuery } = await import('@google-cloud/bigquery');
  if (isAnonymous) options.authClient = await passThroughAuthClient();
  return new BigQuery(options);
}

/**
 * google-auth-library's PassThroughClient, from the copy the BigQuery client itself uses (its major differs from
 * the one @google-cloud/storage brings, and the two copies' header types differ).
 */
async function passThroughAuthClient(): Promise<NonNullable<BigQueryOptions['authClient']>> {
  const fromHere = createRequire(import.meta.url);
  const common = createRequire(fromHere.resolve('@google-cloud/bigquery')).resolve('@google-cloud/common');
  const auth = createRequire(common)('google-auth-library') as { PassThroughClient: new () => NonNullable<BigQueryOptions['authClient']> };
  return new auth.PassThroughClient();
}

/** The client's default retry rule (408, 429, 5xx, rate-limit reasons), also looking into the parsed error body. */
function isRetryable(error: { code?: number | string; errors?: { reason?: string }[]; response?: unknown }): boolean {
  if (typeof error.code === 'number' && [408, 429, 500, 502, 503, 504].includes(error.code)) return true;
  const body = (error.response as { body?: unknown } | undefined)?.body;
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const bodyErrors = (parsed as { error?: { errors?: { reason?: string }[] } } | undefined)?.error?.errors ?? [];
  return [...(error.errors ?? []), ...bodyErrors].some(
    (e) => RATE_LIMIT_REASONS.has(e.reason ?? '') || (e.reason ?? '').includes('EAI_AGAIN'),
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: no reasons to read
  }
}
