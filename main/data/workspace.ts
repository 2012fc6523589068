import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../model/errors.ts';
import type { BlockSession, ColumnProfile, OutputInfo, PreviewResult, PreviewWindow } from '../model/workspace-types.ts';
import { OUTPUT_SCHEMA, outputTableRef, quoteIdent, quoteLiteral } from './sql-names.ts';
import {
  createKeptOutputs,
  forgetPublished,
  readAllKept,
  readKeptOutputs,
  readPublishedBlocks,
  readRunOutputs,
  recordPublished,
  type KeptOutput,
} from './kept-outputs.ts';
import { WorkspaceBlockSession } from './block-session.ts';
import { previewQuery, previewTable } from './preview.ts';
import { profileRelation } from './profile.ts';
import { TrackedConnection } from './tracked-connection.ts';
import {
  META_SCHEMA,
  createRegistry,
  readAllLatestPhysicals,
  readLatestOutputs,
  readLatestPhysicals,
  readOutputTables,
  recordOutput,
  renameOutputs,
} from './output-registry.ts';
import { dropStoredOutput, listStoredOutputs, type StoredOutput } from './stored-outputs.ts';
import { childrenOutputId, parseChildId } from '../model/child-ids.ts';
import { createChildrenTable, forgetUnkeptChildren, readChildOutput, readRunChildren, recordChildren } from './child-outputs.ts';
import { FanOutOutputs } from './fan-out-outputs.ts';
import { STAGE_DB } from './shared-output.ts';
import { dropOutput, fileViewsDir, readFileViews, readOutputViews, reanchorFileViews, removeOrphanLinks } from './file-views.ts';

/** Schema names a pipeline id cannot take: DuckDB's own and the workspace's. */
const RESERVED_SCHEMAS = new Set(['temp', 'information_schema', 'pg_catalog', OUTPUT_SCHEMA, META_SCHEMA, STAGE_DB]);

export interface WorkspaceOptions {
  /** The DuckDB file, `<project>/.pipewright/workspace.duckdb`. */
  path: string;
  threads?: number;
  /** A DuckDB size such as `4GB`. */
  memoryLimit?: string;
  /** Keep source row order in outputs (slower, more memory). Default false. */
  preserveInsertionOrder?: boolean;
  /** Where DuckDB spills when a query outgrows memory. */
  spillDir?: string;
  /**
   * When set, DuckDB reads and writes files only under these folders (and the spill folder): external access off,
   * configuration locked, so no SQL can widen it (`read_csv('/etc/passwd')`, `COPY … TO`, `ATTACH`, `INSTALL`).
   */
  allowedDirectories?: readonly string[];
  /** Outputs kept per block, newest first (`retention.outputs_keep_last`); past ones can still be previewed. Default 1. */
  keepOutputs?: number;
}

/**
 * A project's DuckDB workspace: block outputs as physical tables in `_pw_out`, one view per block (schema = pipeline
 * id) on its latest successful output, and `_pw_meta.outputs` recording which table that is. Runs write their own
 * tables, so concurrent runs never clobber each other; tables a run in flight reads or wrote are kept until it ends.
 */
export class Workspace {
  /** One Workspace per file per process: DuckDB must not open the same file twice. */
  private static readonly opened = new Map<string, Promise<Workspace>>();

  private users = 1;
  private isClosed = false;
  /** Physical tables each run in flight reads or wrote. */
  private readonly holds = new Map<string, Set<string>>();
  private readonly sessions = new Set<WorkspaceBlockSession>();
  /**
   * Per pipeline (read on its first publish), the blocks that may have kept outputs: a superset, since pruning never
   * removes ids. A block absent here has nothing older to drop, so its publish skips the scan of `_pw_meta.published`
   * that would otherwise cost each of 100,000 dynamic children time in proportion to all the others.
   */
  private readonly publishedBlocks = new Map<string, Set<string>>();
  /** Pipeline schemas a publish of this process created or found: the next publish need not ask DuckDB again. */
  private readonly pipelineSchemas = new Set<string>();
  /** Publishes waiting for the next group commit (see publish). */
  private readonly publishQueue: { args: PublishArgs; resolve: () => void; reject: (error: unknown) => void }[] = [];
  /**
   * Outputs that are file views (main/data/file-views.ts), known without asking DuckDB's catalog, whose listing grows
   * with every output (a fan-out's children): asking per block or per drop would cost time in proportion to all of them.
   */
  private readonly fileViews = new Set<string>();
  /** Connections of previews, profiles and queries under way. */
  private readonly readers = new Set<TrackedConnection>();
  /** Metadata work runs one step at a time on `meta`: DuckDB connections take one query at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly instance: DuckDBInstance,
    private readonly meta: DuckDBConnection,
    private readonly keepOutputs: number,
  ) {}

  /** Opens (or shares, within this process) the workspace file; throws a UserError when another process holds it. */
  static async open(opts: WorkspaceOptions): Promise<Workspace> {
    const file = path.resolve(opts.path);
    const existing = Workspace.opened.get(file);
    if (existing) {
      const workspace = await existing;
      workspace.users++;
      return workspace;
    }
    const opening = Workspace.create(file, opts);
    Workspace.opened.set(file, opening);
    opening.catch(() => Workspace.opened.delete(file));
    return opening;
  }

  private static async create(file: string, opts: WorkspaceOptions): Promise<Workspace> {
    await mkdir(path.dirname(file), { recursive: true });
    const config: Record<string, string> = {};
    if (opts.threads !== undefined) config.threads = String(opts.threads);
    if (opts.memoryLimit !== undefined) config.memory_limit = opts.memoryLimit;
    if (opts.spillDir !== undefined) config.temp_directory = opts.spillDir;
    // Off unless asked: loads and CREATE TABLE … AS run in parallel and in less memory (DuckDB's advice for
    // large loads). Outputs are then in no particular row order, as SQL promises anyway.
    config.preserve_insertion_order = String(opts.preserveInsertionOrder ?? false);
    // Peak memory of large loads, at no measurable CPU cost (measured on a 1.2M-row, 19-column month): a CREATE
    // TABLE … AS buffers this many row groups per thread before writing them out (default 5, ~90 MB per thread),
    // 1 keeps the peak ~80-100 MB lower; the allocator returns freed memory to the OS in the background and after
    // any task that peaked above 32 MB (default 128 MB), which trims the worst peaks by another ~50-100 MB.
    config.write_buffer_row_group_count = '1';
    config.allocator_background_threads = 'true';
    config.allocator_flush_threshold = '32MB';
    const instance = await DuckDBInstance.create(file, config).catch((error: unknown) => {
      throw lockedError(error, file) ?? error;
    });
    const meta = await instance.connect();
    // Before the configuration is locked (no ATTACH after): where fan-out children's rows wait to be recorded.
    await meta.run(`ATTACH ':memory:' AS ${quoteIdent(STAGE_DB)}`);
    if (opts.allowedDirectories)
      await lockFileAccess(meta, opts.allowedDirectories).catch((error: unknown) => {
        meta.closeSync();
        instance.closeSync();
        throw error;
      });
    const workspace = new Workspace(file, instance, meta, Math.max(1, opts.keepOutputs ?? 1));
    try {
      await createRegistry(meta);
      await createKeptOutputs(meta);
      await createChildrenTable(meta);
      await reanchorFileViews(meta, fileViewsDir(file));
      for (const physical of await readOutputViews(meta)) workspace.fileViews.add(physical);
      // Tables left by crashed runs: nothing is in flight yet, so everything but the latest outputs goes.
      await workspace.sweep();
    } catch (error) {
      meta.closeSync();
      instance.closeSync();
      throw error;
    }
    return workspace;
  }

  /** Marks a run in flight: tables it produces or reads are kept until endRun. */
  beginRun(runId: string): void {
    this.holdOf(runId);
  }

  /** Opens a session (own DuckDB connection) for one block attempt. `readable` = block ids it may read (its upstream). */
  async openBlockSession(args: {
    pipelineId: string;
    blockId: string;
    runId: string;
    attempt: number;
    runOutputs: ReadonlyMap<string, string>;
    readable: readonly string[];
  }): Promise<BlockSession> {
    const upstream = await this.resolveUpstream(args);
    const physical = `${args.pipelineId}__${args.blockId}__${args.runId}_${args.attempt}`;
    const session = await WorkspaceBlockSession.open(
      this.instance,
      { blockId: args.blockId, physical, upstream, fileViewsDir: this.fileViewsDir, fileViews: this.fileViews },
      {
        willWrite: (table) => this.holdOf(args.runId).add(table),
        wroteFileView: (table) => this.fileViews.add(table),
        closed: () => this.sessions.delete(session),
      },
    );
    this.sessions.add(session);
    return session;
  }

  /**
   * Prepares the children of a fan-out: one upstream resolution for all, a few shared connections, one table for
   * their SELECTs' outputs (see FanOutOutputs). Close it when the children are done.
   */
  async openFanOut(args: {
    pipelineId: string;
    blockId: string;
    runId: string;
    runOutputs: ReadonlyMap<string, string>;
    readable: readonly string[];
    sharesOutput?: boolean;
  }): Promise<FanOutOutputs> {
    const upstream = await this.resolveUpstream(args);
    const hold = (physical: string) => this.holdOf(args.runId).add(physical);
    return new FanOutOutputs(
      {
        instance: this.instance,
        fileViewsDir: this.fileViewsDir,
        fileViews: this.fileViews,
        wroteFileView: (physical) => this.fileViews.add(physical),
        hold,
        publish: (published) => this.publish(published),
        discard: (physical) => this.discard(physical),
        recordChildren: (shared, children) =>
          this.exclusive(async () => {
            const indexes = children.map((c) => c.index);
            await this.inTransaction(async () => {
              await shared.persist(this.meta, indexes);
              await recordChildren(this.meta, shared.physical, children);
            });
            await shared.unstage(this.meta, indexes);
          }),
        onMeta: (work) => this.exclusive(() => work(this.meta)),
        opened: (session) => this.sessions.add(session as WorkspaceBlockSession),
        closed: (session) => this.sessions.delete(session as WorkspaceBlockSession),
      },
      { pipelineId: args.pipelineId, blockId: args.blockId, runId: args.runId, upstream, sharesOutput: args.sharesOutput ?? true },
    );
  }

  /** The physical tables `readable` resolves to (this run's outputs, else the latest), held for the run. */
  private async resolveUpstream(args: {
    pipelineId: string;
    blockId: string;
    runId: string;
    runOutputs: ReadonlyMap<string, string>;
    readable: readonly string[];
  }): Promise<Map<string, string>> {
    this.checkOpen();
    checkPipelineId(args.pipelineId);
    // Resolving and holding happen in one metadata step, so no publish can drop a table between the two.
    return this.exclusive(async () => {
      const latest = await readLatestPhysicals(
        this.meta,
        args.pipelineId,
        args.readable.filter((id) => !args.runOutputs.has(id)),
      );
      const resolved = new Map<string, string>();
      for (const id of args.readable) {
        const physical = args.runOutputs.get(id) ?? latest.get(id);
        if (!physical)
          throw new UserError(`block ${id} has no stored output yet: run it first, or run this block with its upstream`, {
            block: args.blockId,
          });
        resolved.set(id, physical);
      }
      const hold = this.holdOf(args.runId);
      for (const physical of resolved.values()) hold.add(physical);
      return resolved;
    });
  }

  /**
   * After a block attempt succeeds: make its physical table the block's latest output (view + metadata, one
   * transaction). Publishes that arrive while one commits share the next transaction (group commit): concurrent
   * fan-out children pay one commit between them, not one each.
   */
  async publish(args: PublishArgs): Promise<void> {
    this.checkOpen();
    checkPipelineId(args.pipelineId);
    const published = new Promise<void>((resolve, reject) => this.publishQueue.push({ args, resolve, reject }));
    if (this.publishQueue.length === 1) void this.exclusive(() => this.flushPublishes());
    return published;
  }

  /** Commits every queued publish in one transaction; if that fails, each alone, so one bad publish fails only itself. */
  private async flushPublishes(): Promise<void> {
    const batch = this.publishQueue.splice(0);
    for (const pipelineId of new Set(batch.map(({ args }) => args.pipelineId))) {
      // Read before the batch commits, so its own blocks do not look published already; a failure here is reported by afterPublish.
      await this.publishedBlocksOf(pipelineId).catch(() => undefined);
    }
    const record = async (args: PublishArgs) => {
      await recordOutput(this.meta, args, this.pipelineSchemas.has(args.pipelineId));
      await recordPublished(this.meta, args);
    };
    const together =
      batch.length > 1
        ? await this.inTransaction(async () => {
            for (const { args } of batch) await record(args);
          }).then(
            () => true,
            () => false,
          )
        : false;
    for (const { args, resolve, reject } of batch) {
      try {
        if (!together) await this.inTransaction(() => record(args));
        this.pipelineSchemas.add(args.pipelineId);
        await this.afterPublish(args);
        resolve();
      } catch (error) {
        reject(error);
      }
    }
  }

  /** A committed publish: hold its table for the run, drop what is no longer kept. */
  private async afterPublish(args: PublishArgs): Promise<void> {
    // Downstream blocks of this run read this table even after a later run replaces it.
    this.holdOf(args.runId).add(args.physical);
    const published = await this.publishedBlocksOf(args.pipelineId);
    const hadOutputs = published.has(args.blockId);
    published.add(args.blockId);
    if (!hadOutputs) return;
    // Beyond the newest `keepOutputs`, outputs are no longer kept: dropped now, or by the sweep once no run holds them.
    for (const old of (await readKeptOutputs(this.meta, args.pipelineId, args.blockId)).slice(this.keepOutputs)) {
      if (old.physical === args.physical) continue;
      await forgetPublished(this.meta, old.physical);
      if (!this.isHeld(old.physical)) await this.dropTable(old.physical);
    }
  }

  /** Blocks of `pipelineId` that may have kept outputs (see publishedBlocks); call inside `exclusive`. */
  private async publishedBlocksOf(pipelineId: string): Promise<Set<string>> {
    let blocks = this.publishedBlocks.get(pipelineId);
    if (!blocks) this.publishedBlocks.set(pipelineId, (blocks = await readPublishedBlocks(this.meta, pipelineId)));
    return blocks;
  }

  /** After a block is renamed in its pipeline: its stored outputs follow it (previews and `<pipeline>.<block>` views). */
  async renameBlockOutputs(pipelineId: string, from: string, to: string): Promise<void> {
    this.checkOpen();
    checkPipelineId(pipelineId);
    await this.exclusive(async () => {
      await this.inTransaction(async () => {
        await renameOutputs(this.meta, pipelineId, from, to);
        await renameOutputs(this.meta, pipelineId, childrenOutputId(from), childrenOutputId(to)); // its children's shared table
      });
      this.publishedBlocks.delete(pipelineId); // read again: `to` has outputs now, `from` none
    });
  }

  /** The outputs a run published that are still kept, one per block (all of them while they are its latest). */
  async runOutputs(pipelineId: string, runId: string): Promise<KeptOutput[]> {
    this.checkOpen();
    return this.exclusive(async () => {
      const children = (await readRunChildren(this.meta, pipelineId, runId)).map((c) => ({ ...c, pipelineId, runId }));
      return [...(await readRunOutputs(this.meta, pipelineId, runId)), ...children];
    });
  }

  /** Drops an attempt's table (failed or cancelled attempt); a table that is some block's latest output is kept. */
  async discard(physical: string): Promise<void> {
    this.checkOpen();
    await this.exclusive(async () => {
      for (const hold of this.holds.values()) hold.delete(physical);
      if (!(await readAllLatestPhysicals(this.meta)).has(physical)) await this.dropTable(physical);
    });
  }

  /** Run finished: release its tables; drop physical tables that are neither latest nor held by a run in flight. */
  async endRun(runId: string): Promise<void> {
    this.holds.delete(runId);
    if (!this.isClosed) await this.sweep();
  }

  /** Latest output of a block, if any. */
  async latestOutput(pipelineId: string, blockId: string): Promise<OutputInfo | undefined> {
    if (parseChildId(blockId)) {
      this.checkOpen();
      const child = await this.exclusive(() => readChildOutput(this.meta, pipelineId, blockId));
      return child && { pipelineId, blockId, runId: child.runId, rows: child.rows, createdAt: child.createdAt };
    }
    return (await this.latestOutputs(pipelineId)).find((o) => o.blockId === blockId);
  }

  /** Latest outputs of a pipeline's blocks, by block id. */
  async latestOutputs(pipelineId: string): Promise<OutputInfo[]> {
    this.checkOpen();
    return this.exclusive(() => readLatestOutputs(this.meta, pipelineId));
  }

  /** Schema, filtered row count and one window of a block's latest output, or a kept one of run `runId` (Arrow IPC), read in one snapshot. */
  async preview(pipelineId: string, blockId: string, window: PreviewWindow, runId?: string): Promise<PreviewResult> {
    return this.withSnapshot(async (conn) => {
      const stored = await this.storedOutput(conn, pipelineId, blockId, runId);
      const fileView =
        !stored.isShared && this.fileViews.has(stored.physical)
          ? (await readFileViews(conn, [stored.physical])).get(stored.physical)
          : undefined;
      // A child's rows of a shared table are a subquery, without the table's rowid to break ties when sorting.
      return previewTable(conn, stored.relation, window, stored.isShared ? '' : 'rowid', fileView);
    });
  }

  /** Per-column profile of a block's latest output (nulls, approximate distinct, min/max, histogram). */
  async profile(pipelineId: string, blockId: string): Promise<ColumnProfile[]> {
    return this.withSnapshot(async (conn) => profileRelation(conn, (await this.storedOutput(conn, pipelineId, blockId)).relation));
  }

  /** Ad-hoc SQL over the workspace (all latest outputs, schema-qualified), windowed like preview. */
  async query(sql: string, window: { offset: number; limit: number }): Promise<PreviewResult> {
    return this.withSnapshot((conn) => previewQuery(conn, sql, window));
  }

  /** Runs a read-only query over the latest outputs (`<pipeline>.<block>`) in a snapshot; small results only (plans, counts). */
  async readRows(sql: string): Promise<Record<string, unknown>[]> {
    return this.withSnapshot(async (conn) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
  }

  /**
   * Lists every stored output (with its size) and drops the ones `choose` picks, except those a run in flight holds;
   * resolves to the outputs dropped. Retention policy lives in main/retention: this only guarantees the safety.
   */
  async pruneOutputs(choose: (outputs: StoredOutput[]) => StoredOutput[]): Promise<StoredOutput[]> {
    this.checkOpen();
    return this.exclusive(async () => {
      const outputs = (await listStoredOutputs(this.meta, this.fileViewsDir)).map((o) => ({ ...o, isHeld: this.isHeld(o.physical) }));
      const chosen = choose(outputs).filter((o) => !this.isHeld(o.physical));
      for (const output of chosen) {
        await this.inTransaction(() => dropStoredOutput(this.meta, output, this.fileViewsDir, this.fileViews.has(output.physical)));
        this.fileViews.delete(output.physical);
      }
      return chosen;
    });
  }

  /** Closes the file once its last user in this process closes it; queries still running are interrupted first. */
  async close(): Promise<void> {
    if (this.isClosed || --this.users > 0) return;
    this.isClosed = true;
    Workspace.opened.delete(this.file);
    for (const session of [...this.sessions]) await session.close();
    for (const reader of [...this.readers]) await reader.close();
    await this.queue.catch(() => undefined); // a failed metadata step was reported to its caller already
    this.meta.closeSync();
    this.instance.closeSync();
  }

  private holdOf(runId: string): Set<string> {
    let hold = this.holds.get(runId);
    if (!hold) this.holds.set(runId, (hold = new Set()));
    return hold;
  }

  private isHeld(physical: string): boolean {
    for (const hold of this.holds.values()) if (hold.has(physical)) return true;
    return false;
  }

  /** Drops every output table that is neither some block's latest or kept output nor held by a run in flight. */
  private async sweep(): Promise<void> {
    await this.exclusive(async () => {
      const keep = new Set([...(await readAllLatestPhysicals(this.meta)), ...(await readAllKept(this.meta))]);
      const outputs = [...(await readOutputTables(this.meta)), ...this.fileViews];
      for (const physical of outputs) {
        if (!keep.has(physical) && !this.isHeld(physical)) await this.dropTable(physical);
      }
      await forgetUnkeptChildren(this.meta);
      await removeOrphanLinks(this.fileViewsDir, keep, (physical) => this.isHeld(physical));
    });
  }

  private async dropTable(physical: string): Promise<void> {
    await dropOutput(this.meta, this.fileViewsDir, physical, this.fileViews.has(physical));
    this.fileViews.delete(physical);
  }

  /** Where file view outputs keep their linked files. */
  private get fileViewsDir(): string {
    return fileViewsDir(this.file);
  }

  /**
   * Where a block's latest output, or the one run `runId` published, is stored, read on `conn` (inside its snapshot):
   * its physical table or view, and the relation to read (a child's rows of a shared table are a subquery of it).
   */
  private async storedOutput(
    conn: DuckDBConnection,
    pipelineId: string,
    blockId: string,
    runId?: string,
  ): Promise<{ physical: string; relation: string; isShared: boolean }> {
    if (parseChildId(blockId)) {
      const child = await readChildOutput(conn, pipelineId, blockId, runId);
      if (child) return { physical: child.physical, relation: child.relation, isShared: child.relation !== outputTableRef(child.physical) };
      const which = runId === undefined ? '' : ` from run ${runId}`;
      throw new UserError(`the output of ${blockId}${which} is not stored (not run, failed, or no longer kept)`, { block: blockId });
    }
    const physical = await this.storedPhysical(conn, pipelineId, blockId, runId);
    return { physical, relation: outputTableRef(physical), isShared: false };
  }

  /** The physical name of a block's latest output, or of the one run `runId` published, read on `conn` (inside its snapshot). */
  private async storedPhysical(conn: DuckDBConnection, pipelineId: string, blockId: string, runId?: string): Promise<string> {
    if (runId !== undefined) {
      const kept = (await readRunOutputs(conn, pipelineId, runId)).find((o) => o.blockId === blockId);
      if (!kept)
        throw new UserError(
          `the output of ${blockId} from run ${runId} is no longer stored (retention.outputs_keep_last: ${this.keepOutputs})`,
          { block: blockId },
        );
      return kept.physical;
    }
    const physical = (await readLatestPhysicals(conn, pipelineId, [blockId])).get(blockId);
    if (physical === undefined) throw new UserError(`block ${blockId} has no stored output yet: run it first`, { block: blockId });
    return physical;
  }

  /** Runs read-only work on a fresh connection in one transaction: counts and windows agree even while runs publish. */
  private async withSnapshot<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    this.checkOpen();
    const reader = new TrackedConnection(await this.instance.connect());
    this.readers.add(reader);
    try {
      return await reader.track(async () => {
        await reader.conn.run('BEGIN TRANSACTION');
        return work(reader.conn);
      });
    } finally {
      this.readers.delete(reader);
      await reader.close(); // closing the connection rolls the read-only transaction back
    }
  }

  private async inTransaction(work: () => Promise<void>): Promise<void> {
    await this.meta.run('BEGIN TRANSACTION');
    try {
      await work();
      await this.meta.run('COMMIT');
    } catch (error) {
      await this.meta.run('ROLLBACK').catch(() => undefined); // the first error is the one to report
      throw error;
    }
  }

  private exclusive<T>(step: () => Promise<T>): Promise<T> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined); // one failed step must not stop the ones queued after it
    return next;
  }

  private checkOpen(): void {
    if (this.isClosed) throw new Error(`the workspace ${this.file} is closed`);
  }
}

interface PublishArgs {
  pipelineId: string;
  blockId: string;
  runId: string;
  physical: string;
  rows: number;
}

/**
 * Limits DuckDB's file access to `dirs` (each as a folder prefix, with a trailing separator so `/p` does not allow
 * `/p2`) and locks the configuration. DuckDB resolves symlinks before checking, so a link to /etc does not pass.
 */
export async function lockFileAccess(conn: DuckDBConnection, dirs: readonly string[]): Promise<void> {
  const folders = [...new Set(dirs.map((d) => path.resolve(d) + path.sep))];
  await conn.run(`SET allowed_directories = [${folders.map(quoteLiteral).join(', ')}]`);
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
}

function checkPipelineId(pipelineId: string): void {
  if (RESERVED_SCHEMAS.has(pipelineId.toLowerCase())) {
    throw new UserError(`the pipeline id ${pipelineId} is reserved in the DuckDB workspace: rename the pipeline`, { path: 'id' });
  }
}

/** DuckDB's lock conflict as a UserError naming the file (and the holder's PID when DuckDB says it). */
function lockedError(error: unknown, file: string): UserError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (!/Could not set lock on file|Conflicting lock|used by another process/i.test(message)) return undefined;
  const pid = /\(PID (\d+)\)/.exec(message)?.[1];
  return new UserError(
    `the workspace ${file} is in use by another Pipewright process${pid ? ` (PID ${pid})` : ''}: ` +
      'close that app or `pipewright serve`, or run the pipeline through it',
    { file },
    { cause: error },
  );
}
