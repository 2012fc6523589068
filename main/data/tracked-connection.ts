import { setTimeout as sleep } from 'node:timers/promises';
import type { DuckDBConnection } from '@duckdb/node-api';

/** How often close() repeats its interrupt while a query is still winding down. */
const INTERRUPT_RETRY_MS = 50;

/**
 * A DuckDB connection that knows which of its operations are running. DuckDB keeps executing a query whose
 * connection was closed (and an interrupt sent just before closing is lost), so close() interrupts and waits.
 */
export class TrackedConnection {
  private readonly running = new Set<Promise<unknown>>();
  private isClosing = false;

  constructor(readonly conn: DuckDBConnection) {}

  /** Runs `work` as one operation on the connection; close() waits for it. */
  track<T>(work: () => Promise<T>): Promise<T> {
    if (this.isClosing) return Promise.reject(new Error('the DuckDB connection is closed'));
    const operation = work();
    this.running.add(operation);
    const settle = () => this.running.delete(operation);
    operation.then(settle, settle);
    return operation;
  }

  /** Interrupts the running query, if any; its operation rejects with DuckDB's interrupt error. */
  interrupt(): void {
    if (this.running.size > 0) this.conn.interrupt();
  }

  /** Interrupts what is running, waits until it has stopped, then closes the connection. */
  async close(): Promise<void> {
    if (this.isClosing) return;
    await this.stop();
    this.conn.closeSync();
  }

  /**
   * Takes no more work, interrupts what is running and waits until it has stopped, leaving the connection open (a
   * pool may reuse it). Resolves true when nothing was running: no query was cut short, so its state is as it was.
   */
  async stop(): Promise<boolean> {
    this.isClosing = true;
    const wasIdle = this.running.size === 0;
    while (this.running.size > 0) {
      this.conn.interrupt();
      await Promise.race([Promise.allSettled([...this.running]), sleep(INTERRUPT_RETRY_MS)]);
    }
    return wasIdle;
  }
}
