/**
 * What a Google 403 means, read from its reason and message, so the user learns which setting or permission to fix
 * rather than "check the credentials" (https://cloud.google.com/storage/docs/json_api/v1/status-codes#403-forbidden,
 * https://cloud.google.com/bigquery/docs/error-messages).
 */
export type Forbidden =
  | { kind: 'api-disabled'; api: string; link: string | undefined }
  | { kind: 'billing' }
  | { kind: 'permission'; permission: string }
  | { kind: 'other' };

/** Roles that grant a permission, for the advice. */
const ROLES: [RegExp, string][] = [
  [/^storage\.buckets\.(get|list)$/, 'roles/storage.legacyBucketReader on the bucket, or roles/storage.admin'],
  [/^storage\.buckets\.create$/, 'roles/storage.admin on the project'],
  [/^storage\.objects\./, 'roles/storage.objectAdmin on the bucket'],
  [/^bigquery\.jobs\.create$/, 'roles/bigquery.jobUser on the project'],
  [/^bigquery\.datasets\.create$/, 'roles/bigquery.dataEditor on the project'],
  [/^bigquery\./, 'roles/bigquery.dataEditor on the dataset'],
];

/** The kind of a 403, from the client error's reasons and message. */
export function classifyForbidden(error: unknown): Forbidden {
  const message = error instanceof Error ? error.message : String(error);
  const reasons = reasonsOf(error);
  if (
    reasons.includes('accessNotConfigured') ||
    /has not been used in project .* before or it is disabled|SERVICE_DISABLED/.test(message)
  ) {
    const api = /^(.*?) API has not been used/.exec(message)?.[1] ?? 'API';
    return {
      kind: 'api-disabled',
      api: `${api} API`,
      link: /https:\/\/console\.developers\.google\.com\/\S+/.exec(message)?.[0]?.replace(/[.,]$/, ''),
    };
  }
  if (reasons.some((r) => ['accountDisabled', 'billingNotEnabled', 'billingDisabled'].includes(r)) || /billing/i.test(message))
    return { kind: 'billing' };
  // Google quotes the permission: "Permission 'storage.objects.create' denied", "does not have bigquery.jobs.create permission".
  const permission =
    /Permission '?((?:storage|bigquery|resourcemanager)\.[a-zA-Z]+\.[a-zA-Z]+)/.exec(message)?.[1] ??
    /does not have ((?:storage|bigquery|resourcemanager)\.[a-zA-Z]+\.[a-zA-Z]+)/.exec(message)?.[1];
  if (permission) return { kind: 'permission', permission };
  return { kind: 'other' };
}

/** One sentence: what Google refused and what to do, for `resource` (e.g. `bucket b`) in `project`. */
export function explainForbidden(error: unknown, resource: string, project: string | undefined): string {
  const found = classifyForbidden(error);
  const where = project ? `project ${project}` : 'the project';
  if (found.kind === 'api-disabled')
    return `the ${found.api} is disabled in ${where}: enable it${found.link ? ` at ${found.link}` : ' in the Cloud console (APIs & Services)'}, then run again`;
  if (found.kind === 'billing')
    return `billing is disabled for ${where}: link a billing account at https://console.cloud.google.com/billing, then run again`;
  if (found.kind === 'permission') return `the credential lacks ${found.permission} on ${resource}: grant ${roleFor(found.permission)}`;
  const message = error instanceof Error ? error.message : String(error);
  return `Google refused access to ${resource}: ${message}`;
}

function roleFor(permission: string): string {
  return ROLES.find(([pattern]) => pattern.test(permission))?.[1] ?? `a role that includes ${permission}`;
}

function reasonsOf(error: unknown): string[] {
  const e = error as { errors?: { reason?: string }[]; response?: { body?: unknown } } | undefined;
  const body = e?.response?.body;
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const fromBody = (parsed as { error?: { errors?: { reason?: string }[] } } | undefined)?.error?.errors ?? [];
  return [...(e?.errors ?? []), ...fromBody].map((x) => x.reason ?? '').filter((r) => r !== '');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: the message alone is classified
  }
}
