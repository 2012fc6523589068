/**
 * GCS naming rules (https://cloud.google.com/storage/docs/buckets#naming and docs/objects#naming), checked before
 * any upload so a bad name fails at once with the rule it broke.
 */

/** The bucket-naming rule `name` breaks, or undefined when Google would accept it. */
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9._-]+$/.test(name)) return 'bucket names use only lowercase letters, digits, dashes (-), underscores (_) and dots (.)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'bucket names must start and end with a letter or a digit';
  if (name.length < 3) return 'bucket names have at least 3 characters';
  if (!name.includes('.') && name.length > 63) return 'bucket names have at most 63 characters (222 when they contain dots)';
  if (name.length > 222) return 'bucket names have at most 222 characters';
  if (name.split('.').some((part) => part.length === 0 || part.length > 63))
    return 'each dot-separated part of a bucket name has 1 to 63 characters';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'bucket names cannot be IP addresses';
  if (name.startsWith('goog')) return 'bucket names cannot start with "goog"';
  if (/g[o0]{2}g[l1]e/.test(name)) return 'bucket names cannot contain "google" or close misspellings';
  return undefined;
}

/** The object-naming rule `name` breaks, or undefined when it is a valid object name (or prefix). */
export function objectNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) return 'object names cannot be empty';
  if (bytes > 1024) return `object names have at most 1024 bytes of UTF-8 (this one has ${bytes})`;
  if (/[\r\n]/.test(name)) return 'object names cannot contain line breaks';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'object names cannot contain control characters';
  if (name.startsWith('/')) return 'object names do not start with "/" (write the path inside the bucket)';
  if (name.split('/').some((part) => part === '.' || part === '..')) return 'object names cannot contain "." or ".." path steps';
  if (name.startsWith('.well-known/acme-challenge/')) return 'object names cannot start with ".well-known/acme-challenge/"';
  if (/[#[\]*?]/.test(name)) return 'avoid #, [, ], * and ? in object names (gcloud reads them as generations or wildcards)';
  return undefined;
}
