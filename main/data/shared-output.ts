import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnInfo } from '../model/workspace-types.ts';
import { CHILD_COLUMN, childRelation } from './child-outputs.ts';
import { outputTableRef, quoteIdent, quoteLiteral } from './sql-names.ts';

/** Raised by DuckDB's error() when a child's columns differ from the shared table's: that child writes its own table. */
const MISMATCH = 'pipewright: the child columns differ from the shared table';

/** The SQL the session runs to write a child's rows, with where the user's SELECT starts in it (for error positions). */
export interface SharedWrite {
  statement: string;
  /** Characters before the user's SQL (one line, so DuckDB's line numbers stay the user's). */
  prefixLength: number;
  /** An INSERT (its row count is DuckDB's rows changed), else the CREATE … AS of the first child. */
  isInsert: boolean;
  /** Call once the statement ran (`rows` written) or failed (undefined): the table is then ready for the others, or not. */
  done(conn: DuckDBConnection, rows: number | undefined): Promise<boolean>;
}

/**
 * The one table holding the outputs of a fan-out's children (`_pw_out."<pipeline>__<block>[]__<run>_1"`), one hidden
 * column `_pw_child` telling whose rows they are: 100,000 children are 100,000 inserts into one table, not 100,000
 * tables in DuckDB's catalog (~40 KB of memory each) and registry. The first child's SELECT creates it; later children
 * insert only when their columns have exactly its names and types (checked by DuckDB in the same statement: implicit
 * casts would silently round a DECIMAL into an INTEGER column), else they write a table of their own as before.
 */
export class SharedOutput {
  private state: 'none' | 'creating' | 'ready' | 'off' = 'none';
  private creation: Promise<void> = Promise.resolve();
  /** `typeof(struct_pack(...))` of the columns, e.g. `STRUCT(i INTEGER, "a b" VARCHAR)`: names, order and types. */
  private signature = '';
  private described: ColumnInfo[] = [];

  constructor(readonly physical: string) {}

  /** Whether any child wrote into the table (it exists). */
  get isCreated(): boolean {
    return this.state === 'ready';
  }

  /** The table's columns without the hidden one (a child's own columns). */
  get columns(): ColumnInfo[] {
    return this.described;
  }

  /** Rows of child `index`, its columns only. */
  relationOf(index: number): string {
    return childRelation(this.physical, index);
  }

  /** Every child's rows, their columns only: what reduce unions. */
  get allRows(): string {
    return `(SELECT * EXCLUDE (${CHILD_COLUMN}) FROM ${outputTableRef(this.physical)})`;
  }

  /**
   * The statement writing child `index`'s rows from `selectSql`: the CREATE for the first child (the others wait for it),
   * else the checked INSERT; undefined when the shared table is off for this fan-out.
   */
  async plan(index: number, selectSql: string): Promise<SharedWrite | undefined> {
    while (this.state === 'creating') await this.creation;
    if (this.state === 'off') return undefined;
    if (this.state === 'ready') {
      const prefix =
        `INSERT INTO ${outputTableRef(this.physical)} SELECT CASE WHEN typeof(struct_pack(*COLUMNS(*))) = ${quoteLiteral(this.signature)} ` +
        `THEN ${index} ELSE error(${quoteLiteral(MISMATCH)}) END, * FROM (`;
      return { statement: `${prefix}${selectSql}\n)`, prefixLength: prefix.length, isInsert: true, done: async () => true };
    }
    this.state = 'creating';
    let finish = () => {};
    this.creation = new Promise((resolve) => (finish = resolve));
    const prefix = `CREATE TABLE ${outputTableRef(this.physical)} AS SELECT ${index}::INTEGER AS ${CHILD_COLUMN}, * FROM (`;
    return {
      statement: `${prefix}${selectSql}\n)`,
      prefixLength: prefix.length,
      isInsert: false,
      done: async (conn, rows) => {
        try {
          // A failed first child leaves the creation to the next one.
          this.state = rows === undefined ? 'none' : await this.describe(conn);
        } catch (error) {
          this.state = 'none';
          throw error;
        } finally {
          finish();
        }
        return this.state === 'ready';
      },
    };
  }

  /** Whether a SELECT that wrote no rows has the table's columns (no row went through the INSERT's check). */
  async fits(conn: DuckDBConnection, selectSql: string): Promise<boolean> {
    const reader = await conn.runAndReadAll(
      `SELECT typeof(struct_pack(*COLUMNS(s.*))) FROM (SELECT 1) AS d LEFT JOIN (${selectSql}\n) AS s ON false`,
    );
    return String(reader.getRows()[0]?.[0]) === this.signature;
  }

  /** Removes child `index`'s rows (its failed attempt, or the write a second write replaces). */
  async deleteChild(conn: DuckDBConnection, index: number): Promise<void> {
    if (this.state === 'ready') await conn.run(`DELETE FROM ${outputTableRef(this.physical)} WHERE ${CHILD_COLUMN} = ${index}`);
  }

  /** Whether `error` is the INSERT's column check: the child then writes its own table. */
  static isMismatch(error: unknown): boolean {
    return error instanceof Error && error.message.includes(MISMATCH);
  }

  /** Reads the new table's columns and signature; a user column named like the hidden one turns the table off. */
  private async describe(conn: DuckDBConnection): Promise<'ready' | 'off'> {
    const ref = outputTableRef(this.physical);
    const columns = await conn.runAndReadAll(`DESCRIBE SELECT * EXCLUDE (${CHILD_COLUMN}) FROM ${ref}`);
    this.described = columns.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    if (this.described.some((c) => c.name.toLowerCase().startsWith(CHILD_COLUMN))) {
      await conn.run(`DROP TABLE ${ref}`);
      return 'off';
    }
    const signature = await conn.runAndReadAll(
      `SELECT typeof(struct_pack(*COLUMNS(s.* EXCLUDE (${quoteIdent(CHILD_COLUMN)})))) FROM (SELECT 1) AS d LEFT JOIN ${ref} AS s ON false`,
    );
    this.signature = String(signature.getRows()[0]?.[0]);
    return 'ready';
  }
}
