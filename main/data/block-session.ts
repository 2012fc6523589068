import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBPreparedStatement, DuckDBResult } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { UserError } from '../model/errors.ts';
import type { BlockSession, ColumnInfo, FileViewInfo, QueryProgress } from '../model/workspace-types.ts';
import { OUTPUT_SCHEMA, outputTableRef, quoteIdent, quoteLiteral } from './sql-names.ts';
import { sqlErrorClass, toSqlUserError } from './sql-errors.ts';
import { checkOneStatement } from './one-statement.ts';
import { arrowToAppendColumns, resultToArrow, resultToArrowParts } from './arrow-convert.ts';
import { createAndAppend, createAndAppendBatches, rowsToAppendColumns, type AppendBatch, type AppendColumn } from './table-append.ts';
import { TrackedConnection } from './tracked-connection.ts';
import { enableQueryProgress, watchQueryProgress } from './query-progress.ts';
import { SharedOutput } from './shared-output.ts';
import { createFileView, linkOutputFiles, readFileViews, type LinkHow } from './file-views.ts';

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
  /** A fan-out child's: its item number and the fan-out's shared table, where its SELECT writes when its columns fit. */
  child?: { index: number; shared: SharedOutput };
  /** Row counts of upstream tables, shared by a fan-out's children (output tables never change once written). */
  counts?: Map<string, Promise<number>>;
  /** Where file views keep their linked files (main/data/file-views.ts). */
  fileViewsDir: string;
  /** The workspace's outputs that are file views (kept current by the workspace). */
  fileViews: ReadonlySet<string>;
}

/** A DuckDB connection lent to one session; a fan-out lends the same few to all of its children in turn. */
export interface ConnectionLease {
  readonly conn: DuckDBConnection;
  /** Whether query progress is on (PRAGMA enable_progress_bar): a reused connection keeps it. */
  isProgressOn: boolean;
  /** Gives the connection back; `isReusable` false when a query was cut short or a statement may have changed its state. */
  release(isReusable: boolean): void;
}

/** Leading keywords of statements that only read: a session that ran nothing else leaves its connection as it found it. */
const READ_ONLY = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/|\()*(?:select|with|from|values|describe|summarize|explain|table)\b/i;

/** A block attempt's DuckDB connection: upstream ids are temp views over the resolved physical tables. */
export class WorkspaceBlockSession implements BlockSession {
  /** Where the output went: the attempt's own table, or its rows in the fan-out's shared table. */
  private written: 'none' | 'own' | 'shared' = 'none';
  private sharedRows = 0;
  private isClosed = false;
  /** Set once a statement may have changed the connection's state (SET, temp tables…): it is then not reused. */
  private isDirty = false;
  private readonly tracked: TrackedConnection;
  private readonly conn: DuckDBConnection;
  /** Connections of streamArrow readers still open (one each, so a read runs beside the output's writes). */
  private readonly readers = new Set<TrackedConnection>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly lease: ConnectionLease,
    private readonly spec: SessionSpec,
    private readonly hooks: SessionHooks,
  ) {
    this.tracked = new TrackedConnection(lease.conn);
    this.conn = lease.conn;
  }

  /** Opens a connection and creates one temp view per upstream block; temp views shadow the pipeline schemas. */
  static async open(instance: DuckDBInstance, spec: SessionSpec, hooks: SessionHooks): Promise<WorkspaceBlockSession> {
    const conn = await openWithViews(instance, spec.upstream);
    return new WorkspaceBlockSession(instance, { conn, isProgressOn: false, release: () => conn.closeSync() }, spec, hooks);
  }

  /** A session on a lent connection that already has `spec.upstream`'s temp views (see openWithViews). */
  static onLease(instance: DuckDBInstance, lease: ConnectionLease, spec: SessionSpec, hooks: SessionHooks): WorkspaceBlockSession {
    return new WorkspaceBlockSession(instance, lease, spec, hooks);
  }

  get outputTable(): string | undefined {
    if (this.written === 'shared') return this.spec.child?.shared.physical;
    return this.written === 'own' ? this.spec.physical : undefined;
  }

  /** Whether the output is rows of the fan-out's shared table (else the attempt's own table, if any). */
  get isShared(): boolean {
    return this.written === 'shared';
  }

  run(sql: string): Promise<void> {
    return this.tracked.track(async () => {
      this.isDirty = true;
      await this.guard(sql, sql, 0, () => this.conn.run(sql));
    });
  }

  queryRows(sql: string): Promise<Record<string, unknown>[]> {
    return this.tracked.track(async () => {
      await checkOneStatement(this.conn, sql, sql, 0, { block: this.spec.blockId }, 'a query');
      if (!READ_ONLY.test(sql)) this.isDirty = true;
      const reader = await this.guard(sql, sql, 0, () => this.conn.runAndReadAll(sql));
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    });
  }

  countRows(blockIds: readonly string[]): Promise<number> {
    if (blockIds.length === 0) return Promise.resolve(0);
    const physicals = blockIds.map((id) => this.physicalOf(id));
    const key = physicals.join('\n');
    const known = this.spec.counts?.get(key);
    if (known) return known;
    const counting = this.tracked.track(async () => {
      // A file view's rows were counted when it was written: counting them again would parse its files.
      const views = await readFileViews(
        this.conn,
        [...new Set(physicals)].filter((p) => this.spec.fileViews.has(p)),
      );
      const recorded = physicals.reduce((sum, physical) => sum + (views.get(physical)?.rows ?? 0), 0);
      const counted = blockIds.filter((_, i) => !views.has(physicals[i] ?? ''));
      if (counted.length === 0) return recorded;
      const counts = counted.map((id) => `(SELECT count(*) FROM ${this.relation(id)})`);
      const reader = await this.conn.runAndReadAll(`SELECT ${counts.join(' + ')}`);
      return recorded + Number(reader.getRows()[0]?.[0] ?? 0);
    });
    this.spec.counts?.set(key, counting);
    counting.catch(() => this.spec.counts?.delete(key)); // a failed count (a cancelled query) is asked again next time
    return counting;
  }

  writeOutputFromQuery(selectSql: string, onProgress?: (progress: QueryProgress) => void): Promise<number> {
    return this.tracked.track(async () => {
      if (onProgress && !this.lease.isProgressOn) {
        await enableQueryProgress(this.conn);
        this.lease.isProgressOn = true;
      }
      const child = this.spec.child;
      const sharedRows = child && this.written !== 'own' ? await this.writeShared(child, selectSql, onProgress) : undefined;
      if (sharedRows !== undefined) {
        this.written = 'shared';
        this.sharedRows = sharedRows;
        return sharedRows;
      }
      this.hooks.willWrite(this.spec.physical);
      // One line before the user's SQL, so DuckDB's line numbers are the user's (see describeSqlError).
      const prefix = `CREATE OR REPLACE TABLE ${outputTableRef(this.spec.physical)} AS `;
      const rows = await this.runWrite(prefix + selectSql, selectSql, prefix.length, onProgress);
      this.written = 'own';
      return rows ?? 0;
    });
  }

  copyQueryToFiles(
    selectSql: string,
    target: string,
    copyOptions: string,
    onProgress?: (progress: QueryProgress) => void,
  ): Promise<number> {
    return this.tracked.track(async () => {
      if (onProgress && !this.lease.isProgressOn) {
        await enableQueryProgress(this.conn);
        this.lease.isProgressOn = true;
      }
      // On the first line, as in writeOutputFromQuery, so DuckDB's line numbers are the user's (see describeSqlError);
      // the closing parenthesis on a line of its own, after a last line that may end in a comment.
      const prefix = 'COPY (';
      const statement = `${prefix}${selectSql}\n) TO ${quoteLiteral(target)} (${copyOptions})`;
      return (await this.runWrite(statement, selectSql, prefix.length, onProgress)) ?? 0;
    });
  }

  linkOutputFiles(files: readonly string[], how: LinkHow = {}): Promise<string[]> {
    return this.tracked.track(async () => {
      // Held before the links exist, so no sweep removes them before the view that reads them.
      this.hooks.willWrite(this.spec.physical);
      return linkOutputFiles(this.spec.fileViewsDir, this.spec.physical, files, how);
    });
  }

  writeOutputAsFileView(selectSql: string, info: FileViewInfo): Promise<void> {
    return this.tracked.track(async () => {
      await this.replacingShared();
      this.hooks.willWrite(this.spec.physical);
      await this.guard(selectSql, selectSql, 0, () => createFileView(this.conn, this.spec.physical, selectSql, info));
      this.written = 'own';
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
      await this.replacingShared();
      this.hooks.willWrite(this.spec.physical);
      // The attempt's own table, read by nothing until the engine publishes it: batches may commit as they come.
      const batches = appendBatchesOf(tables);
      const rows = await this.named(() =>
        createAndAppendBatches(this.conn, OUTPUT_SCHEMA, this.spec.physical, batches, () => this.isClosed, true),
      );
      this.written = 'own';
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
      if (this.written === 'none') throw new UserError(`block ${blockId} has not written its output yet`, { block: this.spec.blockId });
      const child = this.spec.child;
      return this.written === 'shared' && child ? child.shared.relationOf(child.index) : outputTableRef(this.spec.physical);
    }
    if (this.spec.upstream.has(blockId)) return quoteIdent(blockId);
    throw new UserError(`block ${this.spec.blockId} cannot read ${blockId}: ${this.readableText()}`, { block: this.spec.blockId });
  }

  outputIdentity(blockId: string): string {
    const isOwnShared = blockId === this.spec.blockId && this.written === 'shared';
    if (isOwnShared) return `${this.outputTable ?? ''}[${this.spec.child?.index ?? ''}]`;
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
      if (!READ_ONLY.test(sql)) this.isDirty = true;
      return consume(fetchChunks(await this.guard(sql, sql, 0, () => this.conn.stream(sql))));
    });
  }

  describe(blockId: string): Promise<{ columns: ColumnInfo[]; rows: number }> {
    // A child's rows in the shared table: its columns are the table's, its count the one its INSERT returned.
    const child = this.spec.child;
    if (blockId === this.spec.blockId && this.written === 'shared' && child)
      return Promise.resolve({ columns: child.shared.columns, rows: this.sharedRows });
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

  /** Interrupts what still runs (a cancelled block's query), waits for it to stop, then gives the connection back. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await Promise.all([...this.readers].map((reader) => reader.close()));
    const wasIdle = await this.tracked.stop();
    this.lease.release(wasIdle && !this.isDirty);
    this.hooks.closed();
  }

  /**
   * Writes a fan-out child's rows into the shared table; resolves undefined when they belong in a table of its own
   * (columns that differ, a SELECT DuckDB parses only unwrapped: its own CREATE then reports the error as usual).
   */
  private async writeShared(
    child: NonNullable<SessionSpec['child']>,
    selectSql: string,
    onProgress?: (progress: QueryProgress) => void,
  ): Promise<number | undefined> {
    const { shared, index } = child;
    if (this.written === 'shared') await shared.deleteChild(this.conn, index); // a second write replaces the first
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
  private async runWrite(
    statement: string,
    selectSql: string,
    sqlOffset: number,
    onProgress?: (progress: QueryProgress) => void,
    isPassedOn?: (error: unknown) => boolean,
  ): Promise<number | undefined> {
    await checkOneStatement(this.conn, statement, selectSql, sqlOffset, { block: this.spec.blockId }, 'a SQL block');
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
  private async runInsert(
    statement: string,
    selectSql: string,
    sqlOffset: number,
    onProgress: ((progress: QueryProgress) => void) | undefined,
    isPassedOn: (error: unknown) => boolean,
  ): Promise<number | undefined> {
    const check = () => checkOneStatement(this.conn, statement, selectSql, sqlOffset, { block: this.spec.blockId }, 'a SQL block');
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
  private async guard<T>(statement: string, sqlText: string, sqlOffset: number, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw await this.mapped(error, statement, sqlText, sqlOffset);
    }
  }

  private async mapped(error: unknown, statement: string, sqlText: string, sqlOffset: number): Promise<unknown> {
    const mapped = await toSqlUserError(this.conn, error, statement, sqlText, sqlOffset, { block: this.spec.blockId });
    return mapped instanceof UserError ? this.withReadableHint(mapped) : mapped;
  }

  /** Writes the output through the appender; UserErrors raised on the way (bad column names, invalid dates) name this block. */
  private async appendOutput(columns: AppendColumn[], rowCount: number): Promise<number> {
    await this.replacingShared();
    this.hooks.willWrite(this.spec.physical);
    // The attempt's own table, read by nothing until the engine publishes it: it may commit as it is written.
    await this.named(() => createAndAppend(this.conn, OUTPUT_SCHEMA, this.spec.physical, columns, rowCount, () => this.isClosed, true));
    this.written = 'own';
    return rowCount;
  }

  /** An output written again as the attempt's own table replaces the rows it wrote into the shared table. */
  private async replacingShared(): Promise<void> {
    const child = this.spec.child;
    if (child && this.written === 'shared') await child.shared.deleteChild(this.conn, child.index);
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

/** A connection with one temp view per upstream block (they shadow the pipeline schemas' views). */
export async function openWithViews(instance: DuckDBInstance, upstream: ReadonlyMap<string, string>): Promise<DuckDBConnection> {
  const conn = await instance.connect();
  try {
    for (const [id, physical] of upstream) {
      await conn.run(`CREATE TEMP VIEW ${quoteIdent(id)} AS SELECT * FROM ${outputTableRef(physical)}`);
    }
  } catch (error) {
    conn.closeSync();
    throw error;
  }
  return conn;
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
