import type { Database, Statement } from 'better-sqlite3';

/** Statements prepared on first use and kept for the connection's life: the read side's queries are few and fixed. */
export class StatementCache {
  private readonly prepared = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  /** `sql` as a statement, prepared the first time it is asked for. */
  get(sql: string): Statement {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }
}
