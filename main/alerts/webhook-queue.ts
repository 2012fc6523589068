import { DEFAULT_BACKOFF, computeBackoffMs, parseRetryAfterMs, type BackoffOptions } from '../model/backoff.ts';

/** One POST to deliver: `retries` more attempts after the first on server errors, timeouts and network failures. */
export interface WebhookDelivery {
  url: string;
  body: unknown;
  retries: number;
  timeoutMs: number;
  /** Called once when the delivery is given up (every attempt failed, refused, or the queue was full or closed). */
  onGiveUp(reason: string): void;
}

export interface WebhookQueueOptions {
  /** Deliveries waiting or under way; more are dropped (with onGiveUp) rather than piling up in memory. */
  maxPending?: number;
  /** Deliveries posting at once. */
  concurrency?: number;
  backoff?: BackoffOptions;
  random?: () => number;
}

type Outcome = { ok: true } | { ok: false; isRetryable: boolean; reason: string; retryAfterMs?: number };

/**
 * Fire-and-forget webhook delivery: `enqueue` returns at once, a few deliveries post in the background with
 * retries and backoff, and `close` waits a bounded time for them. Nothing here ever throws into the caller.
 */
export class WebhookQueue {
  private readonly waiting: WebhookDelivery[] = [];
  private readonly active = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private readonly maxPending: number;
  private readonly concurrency: number;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;

  constructor(opts: WebhookQueueOptions = {}) {
    this.maxPending = opts.maxPending ?? 100;
    this.concurrency = opts.concurrency ?? 4;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.random = opts.random ?? Math.random;
  }

  /** Queues a delivery; returns false (and gives it up) when the queue is full or closed. */
  enqueue(delivery: WebhookDelivery): boolean {
    const refusal = this.stop.signal.aborted
      ? 'alerts are shut down'
      : this.pending >= this.maxPending
        ? `more than ${this.maxPending} alerts are waiting to be sent; this one was dropped`
        : undefined;
    if (refusal) {
      giveUp(delivery, refusal);
      return false;
    }
    this.waiting.push(delivery);
    this.pump();
    return true;
  }

  /** Deliveries waiting or under way. */
  get pending(): number {
    return this.waiting.length + this.active.size;
  }

  /** Waits up to `timeoutMs` for pending deliveries, then abandons the rest (each gets onGiveUp). */
  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < deadline) {
      const timer = new AbortController(); // cancels the sleep, so no timer keeps the process alive after close
      await Promise.race([Promise.allSettled([...this.active]), sleep(deadline - Date.now(), timer.signal)]);
      timer.abort();
    }
    this.stop.abort();
    for (const delivery of this.waiting.splice(0)) giveUp(delivery, 'Pipewright closed before the alert could be sent');
    await Promise.allSettled([...this.active]);
  }

  private pump(): void {
    while (this.active.size < this.concurrency && this.waiting.length > 0) {
      const delivery = this.waiting.shift() as WebhookDelivery;
      const work: Promise<void> = this.deliver(delivery).finally(() => {
        this.active.delete(work);
        this.pump();
      });
      this.active.add(work);
    }
  }

  private async deliver(d: WebhookDelivery): Promise<void> {
    let last = '';
    for (let attempt = 1; attempt <= d.retries + 1; attempt++) {
      if (this.stop.signal.aborted) return giveUp(d, `Pipewright closed while retrying (${last})`);
      const outcome = await postOnce(d, this.stop.signal);
      if (outcome.ok) return;
      last = outcome.reason;
      if (!outcome.isRetryable) return giveUp(d, `${outcome.reason}; not retried`);
      if (attempt <= d.retries) {
        const delay = Math.max(computeBackoffMs(attempt, this.backoff, this.random), outcome.retryAfterMs ?? 0);
        await sleep(delay, this.stop.signal);
      }
    }
    giveUp(d, `${last} (${d.retries + 1} attempts)`);
  }
}

/** One POST with its own timeout; classifies the answer. */
async function postOnce(d: WebhookDelivery, stop: AbortSignal): Promise<Outcome> {
  try {
    const response = await fetch(d.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'pipewright-alerts' },
      body: JSON.stringify(d.body),
      signal: AbortSignal.any([AbortSignal.timeout(d.timeoutMs), stop]),
    });
    await response.body?.cancel().catch(() => undefined); // the answer's body is of no use; free the socket
    if (response.ok) return { ok: true };
    const isRetryable = response.status === 408 || response.status === 429 || response.status >= 500;
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), 60_000);
    return { ok: false, isRetryable, reason: `HTTP ${response.status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  } catch (error) {
    const name = (error as { name?: string }).name;
    const reason = name === 'TimeoutError' ? `no answer within ${d.timeoutMs} ms` : `${(error as Error).message}${causeOf(error)}`;
    return { ok: false, isRetryable: true, reason };
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? 'unknown cause'})` : '';
}

function giveUp(d: WebhookDelivery, reason: string): void {
  try {
    d.onGiveUp(reason);
  } catch (error) {
    console.warn('pipewright: reporting a failed alert failed', error);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
