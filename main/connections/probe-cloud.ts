import type { BigQueryConnection, GcsConnection } from '../model/connection-profile.ts';
import { createStorageClient, type GcsClientSettings } from '../cloud/gcs-client.ts';
import { classifyForbidden, explainForbidden } from '../cloud/google-forbidden.ts';

/** What `connections test` found: whether the host answered, whether it took the credentials, and what it lists. */
export interface ProbeResult {
  isReachable: boolean;
  /** Undefined when the failure says nothing about the credentials. */
  isAuthenticated: boolean | undefined;
  /** `buckets: 2 (a, b)` or `datasets: …` when both held. */
  listing?: string;
  /** What went wrong and what to fix, when something did. */
  error?: string;
}

const SHOWN = 10;

/** The block-style settings equivalent to a resolved cloud connection (no client retries: a test should answer fast). */
export function settingsOf(conn: GcsConnection | BigQueryConnection): GcsClientSettings {
  const creds = conn.credentials;
  return {
    ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
    ...(conn.projectId ? { project_id: conn.projectId } : {}),
    ...(creds.kind === 'none' || creds.kind === 'adc' ? { credentials: creds.kind } : {}),
    ...(creds.kind === 'key_file' ? { credentials: { key_file: creds.path } } : {}),
    ...(creds.kind === 'key' ? { service_account_key: creds.key } : {}),
    retry: { max_retries: 0 },
  };
}

/** Lists the buckets of the connection's project: proves reachability and credentials in one request. */
export async function probeGcs(conn: GcsConnection, projectDir: string): Promise<ProbeResult> {
  try {
    const storage = await createStorageClient(settingsOf(conn), projectDir, {});
    const [buckets] = await storage.getBuckets();
    return { isReachable: true, isAuthenticated: true, listing: `buckets: ${summarise(buckets.map((b) => b.name))}` };
  } catch (error) {
    // Least privilege: a service account with roles on one bucket may not list the project's buckets. Google took
    // the credentials (a 403 names the permission), so the connection works; `pipewright check` tests the bucket.
    const found = classifyForbidden(error);
    if (found.kind === 'permission' && found.permission === 'storage.buckets.list') {
      return {
        isReachable: true,
        isAuthenticated: true,
        listing:
          'buckets: not listed (the credential lacks storage.buckets.list, which exports do not need; pipewright check <pipeline> tests each bucket)',
      };
    }
    return classify(error, conn);
  }
}

function summarise(names: string[]): string {
  if (names.length === 0) return '0';
  const shown = names.slice(0, SHOWN).join(', ');
  return `${names.length} (${shown}${names.length > SHOWN ? ', …' : ''})`;
}

/** Refused or unknown hosts are unreachable; 401/403 and missing credentials are auth failures; the rest is shown as is. */
function classify(error: unknown, conn: GcsConnection | BigQueryConnection): ProbeResult {
  const message = error instanceof Error ? error.message : String(error);
  const code = String((error as { code?: unknown }).code ?? '');
  const where = conn.endpoint ?? 'Google Cloud';
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET/.test(`${code} ${message}`)) {
    const hint = conn.type.startsWith('local_')
      ? ''
      : ` (check ${conn.name}.endpoint in connections.yaml, or --conn ${conn.name}.endpoint=…)`;
    return { isReachable: false, isAuthenticated: false, error: `nothing answers at ${where}${hint}: ${message}` };
  }
  const forbidden = code === '403' ? classifyForbidden(error) : undefined;
  if (forbidden && forbidden.kind !== 'other') {
    return {
      isReachable: true,
      isAuthenticated: true,
      error: `${where}: ${explainForbidden(error, `project ${conn.projectId ?? ''}`.trim(), conn.projectId)}`,
    };
  }
  if (code === '401' || code === '403' || /default credentials|invalid_grant|unauthorized|permission/i.test(message)) {
    const fix =
      conn.credentials.kind === 'adc'
        ? 'run gcloud auth application-default login, or set credentials: { key_file: … } or { key: { secret: … } }'
        : `check ${conn.name}.credentials in connections.yaml`;
    return { isReachable: true, isAuthenticated: false, error: `${where} refused the credentials (${conn.label}): ${fix} — ${message}` };
  }
  return { isReachable: true, isAuthenticated: undefined, error: `${where} answered with an error: ${message}` };
}

/** Lists the datasets of a bigquery or local_bigquery connection's project. */
export async function probeBigQuery(conn: BigQueryConnection, projectDir: string): Promise<ProbeResult> {
  try {
    const { createBigQueryClient } = await import('../cloud/bigquery-client.ts');
    const bigquery = await createBigQueryClient(
      { ...settingsOf(conn), ...(conn.location ? { location: conn.location } : {}) },
      projectDir,
      {},
    );
    const [datasets] = await bigquery.getDatasets();
    return { isReachable: true, isAuthenticated: true, listing: `datasets: ${summarise(datasets.map((d) => d.id ?? '?'))}` };
  } catch (error) {
    return classify(error, conn);
  }
}
