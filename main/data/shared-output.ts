import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnInfo } from '../model/workspace-types.ts';
import { CHILD_COLUMN } from './child-outputs.ts';
import { outputTableRef, quoteIdent, quoteLiteral } from './sql-names.ts';

/**
 * The in-memory database (attached when the workspace opens) where children's rows wait to be recorded: an INSERT
 * there commits without a WAL write and fsync, half of what one into the workspace file costs. DuckDB spills it to
 * the temp directory beyond memory_limit.
 */
export const STAGE_DB = '_pw_stage';
/** Item numbers per statement when moving children's rows out of the stage. */
const MOVE_BATCH = 1000;

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
  /** Where children's rows wait until recorded: `_pw_stage.main."<physical>"`. */
  private readonly staged: string;
  private isPersisted = false;

  constructor(readonly physical: string) {
    this.staged = `${quoteIdent(STAGE_DB)}.main.${quoteIdent(physical)}`;
  }

  /** Whether a child wrote into the stage (it exists). */
  get isCreated(): boolean {
    return this.state === 'ready';
  }

  /** Whether recorded children's rows are in the workspace table. */
  get hasRows(): boolean {
    return this.isPersisted;
  }

  /** The table's columns without the hidden one (a child's own columns). */
  get columns(): ColumnInfo[] {
    return this.described;
  }

  /** Rows of child `index` (not yet recorded: they are still in the stage), its columns only. */
  relationOf(index: number): string {
    return `(SELECT * EXCLUDE (${CHILD_COLUMN}) FROM ${this.staged} WHERE ${CHILD_COLUMN} = ${index})`;
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
        `INSERT INTO ${this.staged} SELECT CASE WHEN typeof(struct_pack(*COLUMNS(*))) = ${quoteLiteral(this.signature)} ` +
        `THEN ${index} ELSE error(${quoteLiteral(MISMATCH)}) END, * FROM (`;
      return { statement: `${prefix}${selectSql}\n)`, prefixLength: prefix.length, isInsert: true, done: async () => true };
    }
    this.state = 'creating';
    let finish = () => {};
    this.creation = new Promise((resolve) => (finish = resolve));
    const prefix = `CREATE TABLE ${this.staged} AS SELECT ${index}::INTEGER AS ${CHILD_COLUMN}, * FROM (`;
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
    if (this.state === 'ready') await conn.run(`DELETE FROM ${this.staged} WHERE ${CHILD_COLUMN} = ${index}`);
  }

  /** Copies published children's rows from the stage into the workspace table (inside the caller's transaction). */
  async persist(conn: DuckDBConnection, indexes: readonly number[]): Promise<void> {
    const table = outputTableRef(this.physical);
    await conn.run(`CREATE TABLE IF NOT EXISTS ${table} AS SELECT * FROM ${this.staged} LIMIT 0`);
    for (const list of batches(indexes))
      await conn.run(`INSERT INTO ${table} SELECT * FROM ${this.staged} WHERE ${CHILD_COLUMN} IN (${list})`);
    this.isPersisted = true;
  }

  /** Removes recorded children's rows from the stage (a transaction of its own: one writes one database). */
  async unstage(conn: DuckDBConnection, indexes: readonly number[]): Promise<void> {
    for (const list of batches(indexes)) await conn.run(`DELETE FROM ${this.staged} WHERE ${CHILD_COLUMN} IN (${list})`);
  }

  /** Drops the stage once the children are done. */
  async dropStage(conn: DuckDBConnection): Promise<void> {
    if (this.state !== 'none') await conn.run(`DROP TABLE IF EXISTS ${this.staged}`);
  }

  /** Whether `error` is the INSERT's column check: the child then writes its own table. */
  static isMismatch(error: unknown): boolean {
    return error instanceof Error && error.message.includes(MISMATCH);
  }

  /** Reads the new table's columns and signature; a user column named like the hidden one turns the table off. */
  private async describe(conn: DuckDBConnection): Promise<'ready' | 'off'> {
    const ref = this.staged;
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

/** Item numbers as comma-separated lists of at most MOVE_BATCH. */
function* batches(indexes: readonly number[]): Generator<string> {
  for (let start = 0; start < indexes.length; start += MOVE_BATCH) yield indexes.slice(start, start + MOVE_BATCH).join(', ');
}
