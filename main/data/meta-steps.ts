import type { DuckDBConnection } from '@duckdb/node-api';

/** The workspace's metadata connection: its work runs one step at a time, since a DuckDB connection takes one query at a time. */
export class MetaSteps {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly conn: DuckDBConnection) {}

  /** Runs `step` after the steps queued before it; one failed step does not stop the ones queued after it. */
  exclusive<T>(step: () => Promise<T>): Promise<T> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined); // the failure is reported to the step's caller
    return next;
  }

  /** Runs `work` in one transaction on the metadata connection; call inside `exclusive`. */
  async inTransaction(work: () => Promise<void>): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      await work();
      await this.conn.run('COMMIT');
    } catch (error) {
      await this.conn.run('ROLLBACK').catch(() => undefined); // the first error is the one to report
      throw error;
    }
  }

  /** Resolves once the steps queued so far have run. */
  async settled(): Promise<void> {
    await this.queue.catch(() => undefined); // a failed metadata step was reported to its caller already
  }
}
