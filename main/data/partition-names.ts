import { createHash } from 'node:crypto';

/**
 * Safe folder names for hive partitions (`col=value`) in object stores and local folders.
 *
 * The rule, chosen to match what DuckDB (and Hive/Spark) read back:
 * - NULL is `__HIVE_DEFAULT_PARTITION__` (read back as NULL by DuckDB, Hive and Spark).
 * - Every byte of the UTF-8 value outside `A-Z a-z 0-9 - _ . ~` is percent-encoded (`/` → `%2F`, `=` → `%3D`,
 *   space → `%20`, `é` → `%C3%A9`); DuckDB decodes these when it reads hive folders.
 * - The empty string stays empty (`col=`), so it stays distinct from NULL.
 * - A value made only of dots (`.`, `..`) has its dots encoded (`%2E`), so no tool can read it as a path step.
 * - A value that literally is `__HIVE_DEFAULT_PARTITION__` gets its first `_` encoded, so it is not read as NULL.
 * - An encoded value longer than 200 bytes is cut to at most 183 bytes (between characters, so it still decodes to
 *   valid UTF-8) followed by `~` and 16 hex digits of the SHA-256 of the full value: object names must stay under
 *   GCS's 1024 bytes and local folder names under 255. Such values cannot be decoded back; the hash keeps distinct
 *   values apart.
 * The column name is encoded the same way. The result never contains `/`, so it is always one path segment.
 */
export const NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';
const MAX_ENCODED = 200;
const KEPT = /^[A-Za-z0-9\-_.~]$/;

/** The `col=value` folder name for one partition value (`null` for SQL NULL). */
export function partitionSegment(column: string, value: string | null): string {
  return `${encodePartitionText(column)}=${encodePartitionValue(value)}`;
}

/** The folder-safe spelling of one partition value, per the rule above. */
export function encodePartitionValue(value: string | null): string {
  if (value === null) return NULL_PARTITION;
  if (value === NULL_PARTITION) return `%5F${encodePartitionText(value.slice(1))}`;
  if (/^\.+$/.test(value)) return value.replaceAll('.', '%2E');
  return encodePartitionText(value);
}

function encodePartitionText(text: string): string {
  const pieces = [...text].map((char) =>
    KEPT.test(char) ? char : [...Buffer.from(char, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  const whole = pieces.join('');
  if (whole.length <= MAX_ENCODED) return whole;
  // Cut between characters, so the kept part still decodes to valid UTF-8.
  let cut = '';
  for (const piece of pieces) {
    if (cut.length + piece.length > MAX_ENCODED - 17) break;
    cut += piece;
  }
  return `${cut}~${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}
