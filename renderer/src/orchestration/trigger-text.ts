const localFormat = new Intl.DateTimeFormat('sv-SE', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

/** An ISO instant in this browser's time zone, ISO-like (`2026-11-22 10:30:00 GMT+5:30`). */
export function formatLocal(utc: string): string {
  return localFormat.format(new Date(utc));
}

/**
 * The request that starts a pipeline through its API trigger; the token is left for the reader to fill in. Inside the
 * desktop app the page has no http origin: the app's own loopback API (`apiOrigin`, token in .pipewright/server.json),
 * else serve's default address.
 */
export function apiCurlLine(origin: string, pipelineId: string, apiOrigin: string | null = null): string {
  const isServed = /^https?:/.test(origin);
  const base = isServed ? origin : (apiOrigin ?? 'http://127.0.0.1:6789');
  const token = isServed || !apiOrigin ? '<token>' : '<token from .pipewright/server.json>';
  return `curl -X POST -H "Authorization: Bearer ${token}" ${base}/api/pipelines/${encodeURIComponent(pipelineId)}/runs`;
}
