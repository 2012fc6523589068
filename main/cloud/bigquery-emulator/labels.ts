import { GoogleHttpError } from '../http-util.ts';

/**
 * Checks a job's labels against https://cloud.google.com/bigquery/docs/labels-intro#requirements: at most 64; keys 1–63
 * characters starting with a lowercase or international letter; values up to 63 characters; both only lowercase
 * letters, digits, underscores and dashes (international characters allowed). The job is refused with 400 invalid.
 */
export function checkLabels(labels: unknown): void {
  if (labels === undefined || labels === null) return;
  if (typeof labels !== 'object' || Array.isArray(labels))
    throw new GoogleHttpError(400, 'invalid', 'labels must be an object of key: value strings');
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > 64) throw new GoogleHttpError(400, 'invalid', `Too many labels: ${entries.length}; a job can have at most 64`);
  for (const [key, value] of entries) {
    if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(key)) {
      throw new GoogleHttpError(
        400,
        'invalid',
        `Invalid label key "${key}": 1-63 lowercase letters, digits, underscores or dashes, starting with a lowercase letter`,
      );
    }
    if (typeof value !== 'string' || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(value)) {
      throw new GoogleHttpError(
        400,
        'invalid',
        `Invalid label value "${String(value)}" for key "${key}": up to 63 lowercase letters, digits, underscores or dashes`,
      );
    }
  }
}
