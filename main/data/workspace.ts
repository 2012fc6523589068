import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { UserError } from '../model/errors.ts';
import type { EngineWorkspace } from '../model/engine-types.ts';
import type { BlockSession, ColumnProfile, OutputInfo, PreviewResult, PreviewWindow } from '../model/workspace-types.ts';
import { OUTPUT_SCHEMA } from './sql-names.ts';
import { createKeptOutputs, readRunOutputs, type KeptOutput } from './kept-outputs.ts';
import { WorkspaceBlockSession } from './block-session.ts';
import { META_SCHEMA, createRegistry, readLatestOutputs, resolveReadable, renameOutputs } from './output-registry.ts';
import type { StoredOutput } from './stored-outputs.ts';
import { childrenOutputId, parseChildId } from '../model/child-ids.ts';
import { createChildrenTable, readChildOutput, readRunChildren, recordChildren } from './child-outputs.ts';
import { FanOutOutputs } from './fan-out-outputs.ts';
import { STAGE_DB } from './shared-output.ts';
import { fileViewsDir, readOutputViews, reanchorFileViews } from './file-views.ts';
import { OutputDrops } from './output-drops.ts';
import { openWorkspaceDb, type WorkspaceOptions } from './workspace-db.ts';
import { MetaSteps } from './meta-steps.ts';
import { OutputHolds } from './output-holds.ts';
import { GroupPublisher, type PublishArgs } from './group-publish.ts';
import { OutputReads } from './output-reads.ts';

/** What the engine opens a block attempt's session and a fan-out with (main/model/engine-types.ts). */
type SessionArgs = Parameters<EngineWorkspace['openBlockSession']>[0];
type FanOutArgs = Parameters<EngineWorkspace['openFanOut']>[0];

/** Schema names a pipeline id cannot take: DuckDB's own and the workspace's. */
const RESERVED_SCHEMAS = new Set(['temp', 'information_schema', 'pg_catalog', OUTPUT_SCHEMA, META_SCHEMA, STAGE_DB]);

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
  private readonly holds = new OutputHolds();
  private readonly sessions = new Set<WorkspaceBlockSession>();
  /**
   * Outputs that are file views (main/data/file-views.ts), known without asking DuckDB's catalog, whose listing grows
   * with every output (a fan-out's children): asking per block or per drop would cost time in proportion to all of them.
   */
  private readonly fileViews = new Set<string>();
  /** Metadata work, one step at a time on the `meta` connection. */
  private readonly steps: MetaSteps;
  private readonly drops: OutputDrops;
  private readonly publisher: GroupPublisher;
  private readonly reads: OutputReads;

  private constructor(
    private readonly file: string,
    private readonly instance: DuckDBInstance,
    private readonly meta: DuckDBConnection,
    private readonly keepOutputs: number,
  ) {
    this.steps = new MetaSteps(meta);
    this.drops = new OutputDrops({ steps: this.steps, holds: this.holds, fileViews: this.fileViews, fileViewsDir: fileViewsDir(file) });
    this.publisher = new GroupPublisher({
      steps: this.steps,
      holds: this.holds,
      keepOutputs,
      dropTable: (physical) => this.drops.dropTable(physical),
    });
    this.reads = new OutputReads(instance, this.fileViews, keepOutputs);
  }

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
    const { instance, meta } = await openWorkspaceDb(file, opts);
    const workspace = new Workspace(file, instance, meta, Math.max(1, opts.keepOutputs ?? 1));
    try {
      await createRegistry(meta);
      await createKeptOutputs(meta);
      await createChildrenTable(meta);
      await reanchorFileViews(meta, fileViewsDir(file));
      for (const physical of await readOutputViews(meta)) workspace.fileViews.add(physical);
      // Tables left by crashed runs: nothing is in flight yet, so everything but the latest outputs goes.
      await workspace.drops.sweep();
    } catch (error) {
      meta.closeSync();
      instance.closeSync();
      throw error;
    }
    return workspace;
  }

  /** Marks a run in flight: tables it produces or reads are kept until endRun. */
  beginRun(runId: string): void {
    this.holds.of(runId);
  }

  /** Opens a session (own DuckDB connection) for one block attempt. `readable` = block ids it may read (its upstream). */
  async openBlockSession(args: SessionArgs): Promise<BlockSession> {
    const upstream = await this.resolveUpstream(args);
    const physical = `${args.pipelineId}__${args.blockId}__${args.runId}_${args.attempt}`;
    const session = await WorkspaceBlockSession.open(
      this.instance,
      { blockId: args.blockId, physical, upstream, fileViewsDir: this.fileViewsDir, fileViews: this.fileViews },
      {
        willWrite: (table) => this.holds.of(args.runId).add(table),
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
  async openFanOut(args: FanOutArgs): Promise<FanOutOutputs> {
    const upstream = await this.resolveUpstream(args);
    const hold = (physical: string) => this.holds.of(args.runId).add(physical);
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
          this.steps.exclusive(async () => {
            const indexes = children.map((c) => c.index);
            await this.steps.inTransaction(async () => {
              await shared.persist(this.meta, indexes);
              await recordChildren(this.meta, shared.physical, children);
            });
            await shared.unstage(this.meta, indexes);
          }),
        onMeta: (work) => this.steps.exclusive(() => work(this.meta)),
        opened: (session) => this.sessions.add(session as WorkspaceBlockSession),
        closed: (session) => this.sessions.delete(session as WorkspaceBlockSession),
      },
      { pipelineId: args.pipelineId, blockId: args.blockId, runId: args.runId, upstream, sharesOutput: args.sharesOutput ?? true },
    );
  }

  /** The physical tables `readable` resolves to (this run's outputs, else the latest), held for the run. */
  private async resolveUpstream(args: Omit<FanOutArgs, 'sharesOutput'>): Promise<Map<string, string>> {
    this.checkOpen();
    checkPipelineId(args.pipelineId);
    // Resolving and holding happen in one metadata step, so no publish can drop a table between the two.
    return this.steps.exclusive(async () => {
      const resolved = await resolveReadable(this.meta, args);
      const hold = this.holds.of(args.runId);
      for (const physical of resolved.values()) hold.add(physical);
      return resolved;
    });
  }

  /**
   * After a block attempt succeeds: make its physical table the block's latest output (view + metadata, one
   * transaction); publishes arriving together share one commit (see GroupPublisher).
   */
  async publish(args: PublishArgs): Promise<void> {
    this.checkOpen();
    checkPipelineId(args.pipelineId);
    return this.publisher.publish(args);
  }

  /** After a block is renamed in its pipeline: its stored outputs follow it (previews and `<pipeline>.<block>` views). */
  async renameBlockOutputs(pipelineId: string, from: string, to: string): Promise<void> {
    this.checkOpen();
    checkPipelineId(pipelineId);
    await this.steps.exclusive(async () => {
      await this.steps.inTransaction(async () => {
        await renameOutputs(this.meta, pipelineId, from, to);
        await renameOutputs(this.meta, pipelineId, childrenOutputId(from), childrenOutputId(to)); // its children's shared table
      });
      this.publisher.forgetPipeline(pipelineId); // read again: `to` has outputs now, `from` none
    });
  }

  /** The outputs a run published that are still kept, one per block (all of them while they are its latest). */
  async runOutputs(pipelineId: string, runId: string): Promise<KeptOutput[]> {
    this.checkOpen();
    return this.steps.exclusive(async () => {
      const children = (await readRunChildren(this.meta, pipelineId, runId)).map((c) => ({ ...c, pipelineId, runId }));
      return [...(await readRunOutputs(this.meta, pipelineId, runId)), ...children];
    });
  }

  /** Drops an attempt's table (failed or cancelled attempt); a table that is some block's latest output is kept. */
  async discard(physical: string): Promise<void> {
    this.checkOpen();
    await this.drops.discard(physical);
  }

  /** Run finished: release its tables; drop physical tables that are neither latest nor held by a run in flight. */
  async endRun(runId: string): Promise<void> {
    this.holds.release(runId);
    if (!this.isClosed) await this.drops.sweep();
  }

  /** Latest output of a block, if any. */
  async latestOutput(pipelineId: string, blockId: string): Promise<OutputInfo | undefined> {
    if (parseChildId(blockId)) {
      this.checkOpen();
      const child = await this.steps.exclusive(() => readChildOutput(this.meta, pipelineId, blockId));
      return child && { pipelineId, blockId, runId: child.runId, rows: child.rows, createdAt: child.createdAt };
    }
    return (await this.latestOutputs(pipelineId)).find((o) => o.blockId === blockId);
  }

  /** Latest outputs of a pipeline's blocks, by block id. */
  async latestOutputs(pipelineId: string): Promise<OutputInfo[]> {
    this.checkOpen();
    return this.steps.exclusive(() => readLatestOutputs(this.meta, pipelineId));
  }

  /** Schema, filtered row count and one window of a block's latest output, or a kept one of run `runId` (Arrow IPC), read in one snapshot. */
  async preview(pipelineId: string, blockId: string, window: PreviewWindow, runId?: string): Promise<PreviewResult> {
    this.checkOpen();
    return this.reads.preview(pipelineId, blockId, window, runId);
  }

  /** Per-column profile of a block's latest output (nulls, approximate distinct, min/max, histogram). */
  async profile(pipelineId: string, blockId: string): Promise<ColumnProfile[]> {
    this.checkOpen();
    return this.reads.profile(pipelineId, blockId);
  }

  /** Ad-hoc SQL over the workspace (all latest outputs, schema-qualified), windowed like preview. */
  async query(sql: string, window: { offset: number; limit: number }): Promise<PreviewResult> {
    this.checkOpen();
    return this.reads.query(sql, window);
  }

  /** Runs a read-only query over the latest outputs (`<pipeline>.<block>`) in a snapshot; small results only (plans, counts). */
  async readRows(sql: string): Promise<Record<string, unknown>[]> {
    this.checkOpen();
    return this.reads.readRows(sql);
  }

  /**
   * Lists every stored output (with its size) and drops the ones `choose` picks, except those a run in flight holds;
   * resolves to the outputs dropped. Retention policy lives in main/retention: this only guarantees the safety.
   */
  async pruneOutputs(choose: (outputs: StoredOutput[]) => StoredOutput[]): Promise<StoredOutput[]> {
    this.checkOpen();
    return this.drops.prune(choose);
  }

  /** Closes the file once its last user in this process closes it; queries still running are interrupted first. */
  async close(): Promise<void> {
    if (this.isClosed || --this.users > 0) return;
    this.isClosed = true;
    Workspace.opened.delete(this.file);
    for (const session of [...this.sessions]) await session.close();
    await this.reads.close();
    await this.steps.settled();
    this.meta.closeSync();
    this.instance.closeSync();
  }

  /** Where file view outputs keep their linked files. */
  private get fileViewsDir(): string {
    return fileViewsDir(this.file);
  }

  private checkOpen(): void {
    if (this.isClosed) throw new Error(`the workspace ${this.file} is closed`);
  }
}

function checkPipelineId(pipelineId: string): void {
  if (RESERVED_SCHEMAS.has(pipelineId.toLowerCase())) {
    throw new UserError(`the pipeline id ${pipelineId} is reserved in the DuckDB workspace: rename the pipeline`, { path: 'id' });
  }
}
