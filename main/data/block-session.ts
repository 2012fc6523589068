import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { UserError } from '../model/errors.ts';
import type { BlockSession, ColumnInfo, FileViewInfo, QueryProgress } from '../model/workspace-types.ts';
import { OUTPUT_SCHEMA, outputTableRef, quoteIdent } from './sql-names.ts';
import { toSqlUserError } from './sql-errors.ts';
import { checkOneStatement } from './one-statement.ts';
import { arrowToAppendColumns, resultToArrow, resultToArrowParts } from './arrow-convert.ts';
import { createAndAppend, createAndAppendBatches, rowsToAppendColumns, type AppendBatch, type AppendColumn } from './table-append.ts';
import { TrackedConnection } from './tracked-connection.ts';
import { enableQueryProgress, watchQueryProgress } from './query-progress.ts';
import { createFileView, linkOutputFiles, readFileViews } from './file-views.ts';

/** What the workspace learns from a session. */
export interface SessionHooks {
  /** Called before the session creates its output table, so no sweep drops it half-written. */
  willWrite(physical: string): void;
  /** Called once the session's output is a file view (see writeOutputAsFileView). */
  wroteFileView(physical: string): void;
  closed(): void;
}

export interface SessionSpec {
  blockId: string;
  /** This attempt's output table in `_pw_out`. */
  physical: string;
  /** Readable upstream block ids mapped to the physical tables they resolve to. */
  upstream: ReadonlyMap<string, string>;
  /** Where file views keep their linked files (main/data/file-views.ts). */
  fileViewsDir: string;
  /** The workspace's outputs that are file views (kept current by the workspace). */
  fileViews: ReadonlySet<string>;
}

/** A block attempt's DuckDB connection: upstream ids are temp views over the resolved physical tables. */
export class WorkspaceBlockSession implements BlockSession {
  private written = false;
  private isClosed = false;
  private isProgressOn = false;
  private readonly tracked: TrackedConnection;
  private readonly conn: DuckDBConnection;
  /** Connections of streamArrow readers still open (one each, so a read runs beside the output's writes). */
  private readonly readers = new Set<TrackedConnection>();

  private constructor(
    private readonly instance: DuckDBInstance,
    conn: DuckDBConnection,
    private readonly spec: SessionSpec,
    private readonly hooks: SessionHooks,
  ) {
    this.tracked = new TrackedConnection(conn);
    this.conn = conn;
  }

  /** Opens a connection and creates one temp view per upstream block; temp views shadow the pipeline schemas. */
  static async open(instance: DuckDBInstance, spec: SessionSpec, hooks: SessionHooks): Promise<WorkspaceBlockSession> {
    const conn = await instance.connect();
    try {
      for (const [id, physical] of spec.upstream) {
        await conn.run(`CREATE TEMP VIEW ${quoteIdent(id)} AS SELECT * FROM ${outputTableRef(physical)}`);
      }
    } catch (error) {
      conn.closeSync();
      throw error;
    }
    return new WorkspaceBlockSession(instance, conn, spec, hooks);
  }

  get outputTable(): string | undefined {
    return this.written ? this.spec.physical : undefined;
  }

  run(sql: string): Promise<void> {
    return this.tracked.track(async () => {
      await this.guard(sql, sql, 0, () => this.conn.run(sql));
    });
  }

  queryRows(sql: string): Promise<Record<string, unknown>[]> {
    return this.tracked.track(async () => {
      await checkOneStatement(this.conn, sql, sql, 0, { block: this.spec.blockId }, 'a query');
      const reader = await this.guard(sql, sql, 0, () => this.conn.runAndReadAll(sql));
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    });
  }

  writeOutputFromQuery(selectSql: string, onProgress?: (progress: QueryProgress) => void): Promise<number> {
    return this.tracked.track(async () => {
      this.hooks.willWrite(this.spec.physical);
      if (onProgress && !this.isProgressOn) {
        await enableQueryProgress(this.conn);
        this.isProgressOn = true;
      }
      // One line before the user's SQL, so DuckDB's line numbers are the user's (see describeSqlError).
      const prefix = `CREATE OR REPLACE TABLE ${outputTableRef(this.spec.physical)} AS `;
      const statement = prefix + selectSql;
      await checkOneStatement(this.conn, statement, selectSql, prefix.length, { block: this.spec.blockId }, 'a SQL block');
      const stopWatching = onProgress ? watchQueryProgress(this.conn, onProgress) : undefined;
      const reader = await this.guard(statement, selectSql, prefix.length, () => this.conn.runAndReadAll(statement)).finally(stopWatching);
      this.written = true;
      return Number(reader.getRows()[0]?.[0] ?? 0);
    });
  }

  linkOutputFiles(files: readonly string[], how: { copy?: boolean } = {}): Promise<string[]> {
    return this.tracked.track(async () => {
      // Held before the links exist, so no sweep removes them before the view that reads them.
      this.hooks.willWrite(this.spec.physical);
      return linkOutputFiles(this.spec.fileViewsDir, this.spec.physical, files, how);
    });
  }

  writeOutputAsFileView(selectSql: string, info: FileViewInfo): Promise<void> {
    return this.tracked.track(async () => {
      this.hooks.willWrite(this.spec.physical);
      await this.guard(selectSql, selectSql, 0, () => createFileView(this.conn, this.spec.physical, selectSql, info));
      this.written = true;
      this.hooks.wroteFileView(this.spec.physical);
    });
  }

  fileViewsOf(blockIds: readonly string[]): Promise<Map<string, FileViewInfo>> {
    return this.tracked.track(async () => {
      // Most outputs are tables: the catalog is asked only about the views among them.
      const physicals = new Map<string, string>();
      for (const id of blockIds) {
        const physical = this.outputIdentity(id);
        if (this.spec.fileViews.has(physical)) physicals.set(physical, id);
      }
      if (physicals.size === 0) return new Map<string, FileViewInfo>();
      const views = await readFileViews(this.conn, [...physicals.keys()]);
      return new Map([...views].map(([physical, info]) => [physicals.get(physical) as string, info]));
    });
  }

  writeOutputFromArrow(table: Table): Promise<number> {
    return this.tracked.track(() => this.appendOutput(arrowToAppendColumns(table), table.numRows));
  }

  writeOutputFromArrowBatches(tables: AsyncIterable<Table>): Promise<number> {
    return this.tracked.track(async () => {
      this.hooks.willWrite(this.spec.physical);
      // The attempt's own table, read by nothing until the engine publishes it: batches may commit as they come.
      const batches = appendBatchesOf(tables);
      const rows = await this.named(() =>
        createAndAppendBatches(this.conn, OUTPUT_SCHEMA, this.spec.physical, batches, () => this.isClosed, true),
      );
      this.written = true;
      return rows;
    });
  }

  async *streamArrow(blockId: string, rowsPerPart: number): AsyncGenerator<Table> {
    const relation = blockId === this.spec.blockId ? this.relation(blockId) : outputTableRef(this.physicalOf(blockId));
    if (this.isClosed) throw new Error('the block session is closed');
    // A connection of its own: a second query on this session's connection would end a stream still being read.
    const reader = new TrackedConnection(await this.instance.connect());
    this.readers.add(reader);
    try {
      const result = await reader.track(() => reader.conn.stream(`SELECT * FROM ${relation}`));
      const parts = resultToArrowParts(result, rowsPerPart);
      for (;;) {
        const next = await reader.track(() => parts.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      this.readers.delete(reader);
      await reader.close();
    }
  }

  writeOutputFromRows(rows: Record<string, unknown>[]): Promise<number> {
    return this.tracked.track(async () => {
      if (rows.length === 0) {
        throw new UserError('no rows to write, so no columns to infer: return an Arrow table to write an empty output', {
          block: this.spec.blockId,
        });
      }
      return this.appendOutput(rowsToAppendColumns(rows), rows.length);
    });
  }

  relation(blockId: string): string {
    if (blockId === this.spec.blockId) {
      if (!this.written) throw new UserError(`block ${blockId} has not written its output yet`, { block: this.spec.blockId });
      return outputTableRef(this.spec.physical);
    }
    if (this.spec.upstream.has(blockId)) return quoteIdent(blockId);
    throw new UserError(`block ${this.spec.blockId} cannot read ${blockId}: ${this.readableText()}`, { block: this.spec.blockId });
  }

  outputIdentity(blockId: string): string {
    const physical = blockId === this.spec.blockId ? this.outputTable : this.spec.upstream.get(blockId);
    if (physical !== undefined) return physical;
    this.relation(blockId); // not readable: throws the error that says what this block can read
    throw new Error(`block ${blockId} has no output to identify`);
  }

  readArrow(blockId: string): Promise<Table> {
    return this.tracked.track(async () => resultToArrow(await this.conn.stream(`SELECT * FROM ${this.relation(blockId)}`)));
  }

  streamChunks<T>(sql: string, consume: (chunks: AsyncIterable<DuckDBDataChunk>) => Promise<T>): Promise<T> {
    return this.tracked.track(async () => {
      await checkOneStatement(this.conn, sql, sql, 0, { block: this.spec.blockId }, 'a query');
      return consume(fetchChunks(await this.guard(sql, sql, 0, () => this.conn.stream(sql))));
    });
  }

  describe(blockId: string): Promise<{ columns: ColumnInfo[]; rows: number }> {
    return this.tracked.track(async () => {
      const relation = this.relation(blockId);
      const described = await this.conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
      const columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      // A file view knows its rows: counting them would parse its files.
      const physical = this.outputIdentity(blockId);
      const view = this.spec.fileViews.has(physical) ? (await readFileViews(this.conn, [physical])).get(physical) : undefined;
      if (view) return { columns, rows: view.rows };
      const counted = await this.conn.runAndReadAll(`SELECT count(*) FROM ${relation}`);
      return { columns, rows: Number(counted.getRows()[0]?.[0] ?? 0) };
    });
  }

  interrupt(): void {
    this.tracked.interrupt();
    for (const reader of this.readers) reader.interrupt();
  }

  /** Interrupts what still runs (a cancelled block's query), waits for it to stop, then closes the connection. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await Promise.all([...this.readers].map((reader) => reader.close()));
    await this.tracked.close();
    this.hooks.closed();
  }

  /** Runs SQL the block wrote: DuckDB errors about it become UserErrors placed in the block's SQL. */
  private async guard<T>(statement: string, sqlText: string, sqlOffset: number, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const mapped = await toSqlUserError(this.conn, error, statement, sqlText, sqlOffset, { block: this.spec.blockId });
      throw mapped instanceof UserError ? this.withReadableHint(mapped) : mapped;
    }
  }

  /** Writes the output through the appender; UserErrors raised on the way (bad column names, invalid dates) name this block. */
  private async appendOutput(columns: AppendColumn[], rowCount: number): Promise<number> {
    this.hooks.willWrite(this.spec.physical);
    await this.named(() => createAndAppend(this.conn, OUTPUT_SCHEMA, this.spec.physical, columns, rowCount, () => this.isClosed));
    this.written = true;
    return rowCount;
  }

  /** Runs `write`; a UserError it raises without a block is given this one. */
  private async named<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof UserError && !error.place.block)
        throw new UserError(error.message, { ...error.place, block: this.spec.blockId }, { cause: error });
      throw error;
    }
  }

  /** The physical table an upstream id reads; anything else is refused with what this block can read. */
  private physicalOf(blockId: string): string {
    const physical = this.spec.upstream.get(blockId);
    if (physical === undefined) this.relation(blockId); // throws the error that says what this block can read
    return physical as string;
  }

  /** A query naming a table that does not exist usually means a block that is not upstream: say which are. */
  private withReadableHint(error: UserError): UserError {
    if (!/^Catalog Error: Table with name .* does not exist/.test(error.message)) return error;
    const [first, ...rest] = error.message.split('\n');
    return new UserError([`${first} (${this.readableText()})`, ...rest].join('\n'), error.place, { cause: error.cause });
  }

  private readableText(): string {
    const ids = [...this.spec.upstream.keys()];
    return ids.length === 0
      ? 'it has no upstream blocks; connect one with an edge to read it'
      : `it reads only its upstream blocks (${ids.join(', ')}); connect others with an edge`;
  }
}

/** Arrow tables as batches of columns to append. */
async function* appendBatchesOf(tables: AsyncIterable<Table>): AsyncGenerator<AppendBatch> {
  for await (const table of tables) yield { columns: arrowToAppendColumns(table), rowCount: table.numRows };
}

/** The result's chunks in order, fetched one at a time (DuckDB computes ahead only a bounded buffer). */
async function* fetchChunks(result: DuckDBResult): AsyncGenerator<DuckDBDataChunk> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    yield chunk;
  }
}
