import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../model/errors.ts';
import { lockFileAccess } from '../data/workspace-db.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';
import { describeSqlError, isSqlError } from '../data/sql-errors.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';

/**
 * An in-memory DuckDB where blocks' SQL is bound (never run) against empty tables shaped like their upstreams'
 * outputs. Apart from the workspace, so design-time work never waits on or touches a run; file access is limited to
 * the folders the workspace may read.
 */
export class ScratchDuckDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(allowedDirectories: readonly string[]): Promise<ScratchDuckDb> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await instance.connect();
    try {
      await lockFileAccess(conn, allowedDirectories);
    } catch (error) {
      conn.closeSync();
      instance.closeSync();
      throw error;
    }
    return new ScratchDuckDb(instance, conn);
  }

  /** Creates (or replaces) an empty table `name` with these columns: one scratch database serves one pipeline. */
  async defineTable(name: string, columns: ColumnInfo[]): Promise<void> {
    const defs = columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
    await this.conn.run(`CREATE OR REPLACE TABLE ${quoteIdent(name)} (${defs})`);
  }

  /**
   * The columns of `sql` (upstream ids resolve to their empty tables). A SQL error becomes a UserError at its line
   * and column inside `sql`.
   */
  async describe(sql: string): Promise<ColumnInfo[]> {
    const head = 'DESCRIBE (';
    try {
      const reader = await this.conn.runAndReadAll(`${head}${sql}\n)`);
      return reader.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    } catch (error) {
      if (!isSqlError(error)) throw error;
      const described = describeSqlError(error, sql, head.length);
      throw new UserError(
        described.message,
        {
          ...(described.line !== undefined ? { line: described.line } : {}),
          ...(described.column !== undefined ? { column: described.column } : {}),
        },
        { cause: error },
      );
    }
  }

  /** DuckDB's parse tree of `sql` as JSON (`json_serialize_sql`): parsed only, never bound or run. */
  async serialize(sql: string): Promise<unknown> {
    const [row] = await this.queryRows(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS tree`);
    return JSON.parse(String(row?.tree ?? '{}'));
  }

  /** Runs a query and returns its rows (json_serialize_sql and other metadata). */
  async queryRows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
