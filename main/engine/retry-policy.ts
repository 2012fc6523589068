import type { RetryConfig } from '../model/schema.ts';

/** Retry settings after merging project → pipeline → block (most specific wins). */
export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  delayMs: number;
  maxDelayMs: number;
  exponential: boolean;
}

/** Mage-like defaults: a few retries, 5 s base delay, 60 s cap, exponential. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 2, delayMs: 5_000, maxDelayMs: 60_000, exponential: true };

/** Whether any level (project, pipeline, block) sets `retry:`; only then is a failure of the block's own code retried. */
export function hasExplicitRetry(...configs: (RetryConfig | undefined)[]): boolean {
  return configs.some((config) => config !== undefined);
}

/** Merges retry configs, later ones overriding earlier ones field by field. */
export function mergeRetryPolicy(...configs: (RetryConfig | undefined)[]): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY };
  for (const config of configs) {
    if (!config) continue;
    if (config.retries !== undefined) policy.retries = config.retries;
    if (config.delay !== undefined) policy.delayMs = config.delay * 1000;
    if (config.max_delay !== undefined) policy.maxDelayMs = config.max_delay * 1000;
    if (config.exponential_backoff !== undefined) policy.exponential = config.exponential_backoff;
  }
  return policy;
}

/**
 * Delay before attempt `failedAttempt + 1`: exponential (base·2^(n-1)) capped at maxDelay, with "equal jitter"
 * (half fixed, half random) so retries of parallel blocks do not stampede yet never retry immediately.
 * A server's Retry-After wins when it asks for longer.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number, random: () => number, retryAfterMs?: number): number {
  const raw = policy.exponential ? policy.delayMs * 2 ** (failedAttempt - 1) : policy.delayMs;
  const capped = Math.min(raw, policy.maxDelayMs);
  const jittered = capped / 2 + (random() * capped) / 2;
  return Math.round(Math.max(jittered, Math.min(retryAfterMs ?? 0, policy.maxDelayMs)));
}
