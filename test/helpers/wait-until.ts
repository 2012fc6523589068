/** How long a wait may take by default: generous, so a loaded 2-core machine does not fail a test that would pass. */
export const DEFAULT_WAIT_MS = 20_000;

export interface WaitOptions {
  /** What is awaited, for the timeout message ("run r1 to finish"). */
  what: string;
  /** The deadline; default DEFAULT_WAIT_MS. */
  timeoutMs?: number;
  /** How often the condition is checked; default 20 ms. */
  intervalMs?: number;
}

/** What a condition's truthy answer can be. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Resolves with the condition's first truthy value (sync or async); rejects with `timed out after N ms waiting for
 * <what>` once the deadline passes. The one way tests wait: never a fixed sleep.
 */
export async function waitUntil<T>(condition: () => T | Promise<T>, opts: WaitOptions): Promise<Truthy<T>> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}`);
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 20));
  }
}
