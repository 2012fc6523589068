import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { UserError } from '../model/errors.ts';
import type { BlockSession, ColumnInfo, FileViewInfo, QueryProgress } from '../model/workspace-types.ts';
import { OUTPUT_SCHEMA, outputTableRef, quoteIdent, quoteLiteral } from './sql-names.ts';
import { arrowToAppendColumns, resultToArrow, resultToArrowParts } from './arrow-convert.ts';
import { createAndAppend, createAndAppendBatches, rowsToAppendColumns, type AppendBatch, type AppendColumn } from './table-append.ts';
import { TrackedConnection } from './tracked-connection.ts';
import { enableQueryProgress } from './query-progress.ts';
import { createFileView, linkOutputFiles, readFileViews, type LinkHow } from './file-views.ts';
import { BlockSql, fetchChunks } from './block-sql.ts';
import { openWithViews, type ConnectionLease, type SessionHooks, type SessionSpec } from './session-spec.ts';
import { countOutputRows } from './output-rows.ts';

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
  private readonly sql: BlockSql;
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
    this.sql = new BlockSql(lease.conn, spec.blockId, spec.upstream);
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
      await this.sql.guard(sql, sql, 0, () => this.conn.run(sql));
    });
  }

  queryRows(sql: string): Promise<Record<string, unknown>[]> {
    return this.tracked.track(async () => {
      await this.sql.checkQuery(sql);
      if (!READ_ONLY.test(sql)) this.isDirty = true;
      const reader = await this.sql.guard(sql, sql, 0, () => this.conn.runAndReadAll(sql));
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    });
  }

  countRows(blockIds: readonly string[]): Promise<number> {
    if (blockIds.length === 0) return Promise.resolve(0);
    const physicals = blockIds.map((id) => this.physicalOf(id));
    const key = physicals.join('\n');
    const known = this.spec.counts?.get(key);
    if (known) return known;
    const counting = this.tracked.track(() =>
      countOutputRows(
        this.conn,
        blockIds.map((id, i) => ({ physical: physicals[i] ?? '', relation: this.relation(id) })),
        this.spec.fileViews,
      ),
    );
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
      const sharedRows =
        child && this.written !== 'own' ? await this.sql.writeShared(child, selectSql, this.written === 'shared', onProgress) : undefined;
      if (sharedRows !== undefined) {
        this.written = 'shared';
        this.sharedRows = sharedRows;
        return sharedRows;
      }
      this.hooks.willWrite(this.spec.physical);
      // One line before the user's SQL, so DuckDB's line numbers are the user's (see describeSqlError).
      const prefix = `CREATE OR REPLACE TABLE ${outputTableRef(this.spec.physical)} AS `;
      const rows = await this.sql.runWrite(prefix + selectSql, selectSql, prefix.length, onProgress);
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
      return (await this.sql.runWrite(statement, selectSql, prefix.length, onProgress)) ?? 0;
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
      await this.sql.guard(selectSql, selectSql, 0, () => createFileView(this.conn, this.spec.physical, selectSql, info));
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
      const rows = await this.sql.named(() =>
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
    throw new UserError(`block ${this.spec.blockId} cannot read ${blockId}: ${this.sql.readableText()}`, { block: this.spec.blockId });
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
      await this.sql.checkQuery(sql);
      if (!READ_ONLY.test(sql)) this.isDirty = true;
      return consume(fetchChunks(await this.sql.guard(sql, sql, 0, () => this.conn.stream(sql))));
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
      const rows = await countOutputRows(this.conn, [{ physical: this.outputIdentity(blockId), relation }], this.spec.fileViews);
      return { columns, rows };
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

  /** Writes the output through the appender; UserErrors raised on the way (bad column names, invalid dates) name this block. */
  private async appendOutput(columns: AppendColumn[], rowCount: number): Promise<number> {
    await this.replacingShared();
    this.hooks.willWrite(this.spec.physical);
    // The attempt's own table, read by nothing until the engine publishes it: it may commit as it is written.
    await this.sql.named(() => createAndAppend(this.conn, OUTPUT_SCHEMA, this.spec.physical, columns, rowCount, () => this.isClosed, true));
    this.written = 'own';
    return rowCount;
  }

  /** An output written again as the attempt's own table replaces the rows it wrote into the shared table. */
  private async replacingShared(): Promise<void> {
    const child = this.spec.child;
    if (child && this.written === 'shared') await child.shared.deleteChild(this.conn, child.index);
  }

  /** The physical table an upstream id reads; anything else is refused with what this block can read. */
  private physicalOf(blockId: string): string {
    const physical = this.spec.upstream.get(blockId);
    if (physical === undefined) this.relation(blockId); // throws the error that says what this block can read
    return physical as string;
  }
}

/** Arrow tables as batches of columns to append. */
async function* appendBatchesOf(tables: AsyncIterable<Table>): AsyncGenerator<AppendBatch> {
  for await (const table of tables) yield { columns: arrowToAppendColumns(table), rowCount: table.numRows };
}
