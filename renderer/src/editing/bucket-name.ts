/** Used when the project name leaves nothing usable (only symbols, say). */
const FALLBACK_BUCKET = 'pipewright-exports';
const SUFFIX = '-exports';
/** GCS bucket names without dots are at most 63 characters. */
const MAX_BUCKET_CHARS = 63;

/**
 * A default GCS bucket for a project's exports, `<project>-exports`, valid under GCS naming rules: lowercase
 * letters, digits and dashes, 3–63 characters, starting and ending with a letter or digit, no "google" and no
 * "goog" prefix. Bucket names are global, so one derived from the project is far less likely taken than a fixed one.
 */
export function defaultBucketName(projectName: string): string {
  let base = projectName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/google/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (base.startsWith('goog')) base = `pw-${base}`;
  base = base.slice(0, MAX_BUCKET_CHARS - SUFFIX.length).replace(/-+$/, '');
  return base ? `${base}${SUFFIX}` : FALLBACK_BUCKET;
}
