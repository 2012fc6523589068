import type { DuckDBConnection, DuckDBDataChunk, DuckDBPreparedStatement, DuckDBResult } from '@duckdb/node-api';
import { UserError } from '../model/errors.ts';
import type { QueryProgress } from '../model/workspace-types.ts';
import { sqlErrorClass, toSqlUserError } from './sql-errors.ts';
import { SharedOutput } from './shared-output.ts';
import { checkOneStatement } from './one-statement.ts';
import { watchQueryProgress } from './query-progress.ts';

/** Runs SQL a block wrote on its session's connection: DuckDB's errors become UserErrors placed in that SQL, naming the block. */
export class BlockSql {
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly blockId: string,
    /** Readable upstream block ids (mapped to their physical tables): named when a query reads another table. */
    private readonly upstream: ReadonlyMap<string, string>,
  ) {}

  /** Refuses a query that is more than one statement, saying where the second starts. */
  checkQuery(sql: string): Promise<void> {
    return checkOneStatement(this.conn, sql, sql, 0, { block: this.blockId }, 'a query');
  }

  /**
   * Writes a fan-out child's rows into the shared table (`replaces`: over the rows it wrote there before); resolves
   * undefined when they belong in a table of its own (columns that differ, a SELECT DuckDB parses only unwrapped: its
   * own CREATE then reports the error as usual).
   */
  async writeShared(
    child: { index: number; shared: SharedOutput },
    selectSql: string,
    replaces: boolean,
    onProgress?: (progress: QueryProgress) => void,
  ): Promise<number | undefined> {
    const { shared, index } = child;
    if (replaces) await shared.deleteChild(this.conn, index); // a second write replaces the first
    const write = await shared.plan(index, selectSql);
    if (!write) return undefined;
    let rows: number | undefined;
    try {
      const isOwnTableCase = (error: unknown) => SharedOutput.isMismatch(error) || sqlErrorClass(error) === 'Parser';
      rows = write.isInsert
        ? await this.runInsert(write.statement, selectSql, write.prefixLength, onProgress, isOwnTableCase)
        : await this.runWrite(write.statement, selectSql, write.prefixLength, onProgress, isOwnTableCase);
    } finally {
      if (!(await write.done(this.conn, rows))) rows = undefined;
    }
    if (rows === 0 && !(await shared.fits(this.conn, selectSql))) return undefined;
    return rows;
  }

  /**
   * Runs one statement writing the output from the user's SELECT (at `sqlOffset` of it) and resolves to the rows it
   * wrote; errors `isPassedOn` accepts resolve undefined, other DuckDB errors become UserErrors placed in the SQL.
   */
  async runWrite(
    statement: string,
    selectSql: string,
    sqlOffset: number,
    onProgress?: (progress: QueryProgress) => void,
    isPassedOn?: (error: unknown) => boolean,
  ): Promise<number | undefined> {
    await checkOneStatement(this.conn, statement, selectSql, sqlOffset, { block: this.blockId }, 'a SQL block');
    const stopWatching = onProgress ? watchQueryProgress(this.conn, onProgress) : undefined;
    try {
      const reader = await this.conn.runAndReadAll(statement);
      return Number(reader.getRows()[0]?.[0] ?? 0);
    } catch (error) {
      if (isPassedOn?.(error)) return undefined;
      throw await this.mapped(error, statement, selectSql, sqlOffset);
    } finally {
      stopWatching?.();
    }
  }

  /**
   * runWrite for an INSERT, in two round trips instead of four (a child pays them 100,000 times): DuckDB's prepare
   * refuses a second statement, so no separate parse is needed (checkOneStatement then says where it starts), and
   * the INSERT reports its row count without a result to fetch.
   */
  async runInsert(
    statement: string,
    selectSql: string,
    sqlOffset: number,
    onProgress: ((progress: QueryProgress) => void) | undefined,
    isPassedOn: (error: unknown) => boolean,
  ): Promise<number | undefined> {
    const check = () => checkOneStatement(this.conn, statement, selectSql, sqlOffset, { block: this.blockId }, 'a SQL block');
    if (selectSql.includes('\0')) await check(); // DuckDB would read up to the NUL only: refused with its line
    let prepared: DuckDBPreparedStatement;
    try {
      prepared = await this.conn.prepare(statement);
    } catch (error) {
      if (error instanceof Error && error.message.includes('Cannot prepare multiple statements')) await check();
      if (isPassedOn(error)) return undefined;
      throw await this.mapped(error, statement, selectSql, sqlOffset);
    }
    const stopWatching = onProgress ? watchQueryProgress(this.conn, onProgress) : undefined;
    try {
      return (await prepared.run()).rowsChanged;
    } catch (error) {
      if (isPassedOn(error)) return undefined;
      throw await this.mapped(error, statement, selectSql, sqlOffset);
    } finally {
      stopWatching?.();
      prepared.destroySync();
    }
  }

  /** Runs SQL the block wrote: DuckDB errors about it become UserErrors placed in the block's SQL. */
  async guard<T>(statement: string, sqlText: string, sqlOffset: number, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw await this.mapped(error, statement, sqlText, sqlOffset);
    }
  }

  /** Runs `write`; a UserError it raises without a block is given this one. */
  async named<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof UserError && !error.place.block)
        throw new UserError(error.message, { ...error.place, block: this.blockId }, { cause: error });
      throw error;
    }
  }

  /** What this block can read, for errors about a table it cannot. */
  readableText(): string {
    const ids = [...this.upstream.keys()];
    return ids.length === 0
      ? 'it has no upstream blocks; connect one with an edge to read it'
      : `it reads only its upstream blocks (${ids.join(', ')}); connect others with an edge`;
  }

  private async mapped(error: unknown, statement: string, sqlText: string, sqlOffset: number): Promise<unknown> {
    const mapped = await toSqlUserError(this.conn, error, statement, sqlText, sqlOffset, { block: this.blockId });
    return mapped instanceof UserError ? this.withReadableHint(mapped) : mapped;
  }

  /** A query naming a table that does not exist usually means a block that is not upstream: say which are. */
  private withReadableHint(error: UserError): UserError {
    if (!/^Catalog Error: Table with name .* does not exist/.test(error.message)) return error;
    const [first, ...rest] = error.message.split('\n');
    return new UserError([`${first} (${this.readableText()})`, ...rest].join('\n'), error.place, { cause: error.cause });
  }
}

/** The result's chunks in order, fetched one at a time (DuckDB computes ahead only a bounded buffer). */
export async function* fetchChunks(result: DuckDBResult): AsyncGenerator<DuckDBDataChunk> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    yield chunk;
  }
}
