/** Delays between HTTP retries: exponential backoff with full jitter, and the server's Retry-After. */

export interface BackoffOptions {
  /** Delay ceiling before jitter for the first retry. */
  baseMs: number;
  /** Cap on any computed delay. */
  maxMs: number;
}

/** Defaults for real downloads: 0.5 s, 1 s, 2 s … capped at 30 s, before jitter. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * Delay before retry number `attempt` (1-based): a uniformly random value in [0, min(maxMs, baseMs·2^(attempt-1))]
 * ("full jitter"), so many clients retrying one server spread out instead of arriving together.
 */
export function computeBackoffMs(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/**
 * Milliseconds a Retry-After header asks for (delta seconds or an HTTP date), capped at `capMs`;
 * undefined when the header is absent or unreadable.
 */
export function parseRetryAfterMs(header: string | null | undefined, capMs: number, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.round(Math.min(Math.max(0, ms), capMs));
}
