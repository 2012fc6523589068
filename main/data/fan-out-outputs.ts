import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { childId, childrenOutputId } from '../model/child-ids.ts';
import type { AttemptOutputs, FanOutWorkspace } from '../model/engine-types.ts';
import type { BlockSession } from '../model/workspace-types.ts';
import { WorkspaceBlockSession } from './block-session.ts';
import { openWithViews, type ConnectionLease } from './session-spec.ts';
import { SharedOutput } from './shared-output.ts';
import { outputTableRef } from './sql-names.ts';

/** Children recorded per metadata transaction at most; more wait for the next one. */
const RECORD_EVERY_CHILDREN = 2000;
/** How long a finished child waits at most before it is recorded (a preview then finds it). */
const RECORD_EVERY_MS = 200;
/** A child with more rows is recorded before its slot goes to the next: the stage never holds many large outputs. */
const RECORD_AT_ONCE_ROWS = 100_000;

/** What a fan-out needs of its workspace. */
export interface FanOutHost {
  instance: DuckDBInstance;
  /** Where file views keep their linked files, and the outputs that are file views (children may read or write one). */
  fileViewsDir: string;
  fileViews: ReadonlySet<string>;
  /** Called once a child's own output is a file view. */
  wroteFileView(physical: string): void;
  /** Keeps `physical` from the sweep until the run ends. */
  hold(physical: string): void;
  publish(args: { pipelineId: string; blockId: string; runId: string; physical: string; rows: number }): Promise<void>;
  discard(physical: string): Promise<void>;
  /** Moves children's rows from the stage into the shared table and records them (one metadata transaction). */
  recordChildren(shared: SharedOutput, children: { index: number; rows: number }[]): Promise<void>;
  /** Runs `work` on the metadata connection, after the metadata steps queued before it. */
  onMeta(work: (conn: DuckDBConnection) => Promise<void>): Promise<void>;
  /** Tracks a session so closing the workspace closes it. */
  opened(session: BlockSession): void;
  closed(session: BlockSession): void;
}

export interface FanOutSpec {
  pipelineId: string;
  blockId: string;
  runId: string;
  /** Readable upstream ids → physical tables, resolved once for all children. */
  upstream: ReadonlyMap<string, string>;
  /** Whether children's SELECTs write the shared table (else each writes a table of its own). */
  sharesOutput: boolean;
}

/**
 * The workspace side of one fan-out: children borrow one of a few connections (upstream views made once per
 * connection, not per child), write their SELECTs into one in-memory stage, and are recorded in batches (their rows
 * moved into the shared table in one metadata transaction per 200 ms or 2,000 children, not one commit each);
 * children whose output cannot go there (other columns, Arrow or rows) keep a table of their own, published as before.
 */
export class FanOutOutputs implements FanOutWorkspace {
  private readonly shared: SharedOutput;
  private readonly idle: ConnectionLease[] = [];
  private readonly counts = new Map<string, Promise<number>>();
  /** Children whose own table was published, by item number. */
  private readonly ownTables = new Map<number, string>();
  private pending: { index: number; rows: number }[] = [];
  private sharedRows = 0;
  private isRegistered = false;
  private timer: NodeJS.Timeout | undefined;
  private recording: Promise<void> = Promise.resolve();
  private failure: unknown;
  private isClosed = false;

  constructor(
    private readonly host: FanOutHost,
    private readonly spec: FanOutSpec,
  ) {
    this.shared = new SharedOutput(`${spec.pipelineId}__${childrenOutputId(spec.blockId)}__${spec.runId}_1`);
    host.hold(this.shared.physical);
  }

  child(index: number): AttemptOutputs {
    const id = childId(this.spec.blockId, index);
    return {
      open: (attempt) => this.openSession(index, id, attempt),
      publish: (session, rows) => this.publish(index, id, session, rows),
      discard: (session) => this.discard(index, session),
    };
  }

  async finish(): Promise<string[]> {
    this.record();
    await this.recording;
    if (this.failure !== undefined) throw this.failure;
    if (this.shared.hasRows) await this.register();
    const own = [...this.ownTables].sort(([a], [b]) => a - b).map(([, physical]) => outputTableRef(physical));
    return this.shared.hasRows ? [this.shared.allRows, ...own] : own;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.recording;
    for (const lease of this.idle.splice(0)) lease.conn.closeSync();
    // Rows of children that never were published (failed, cancelled) go with the stage. Best effort, so closing never
    // throws: the stage is in memory, gone with the workspace anyway (a closed workspace refuses the step).
    await this.host.onMeta((conn) => this.shared.dropStage(conn)).catch(() => undefined);
  }

  private async openSession(index: number, id: string, attempt: number): Promise<BlockSession> {
    if (this.isClosed) throw new Error(`the fan-out of ${this.spec.blockId} is closed`);
    const lease = this.idle.pop() ?? (await this.newLease());
    const spec = {
      blockId: id,
      physical: `${this.spec.pipelineId}__${id}__${this.spec.runId}_${attempt}`,
      upstream: this.spec.upstream,
      ...(this.spec.sharesOutput ? { child: { index, shared: this.shared } } : {}),
      counts: this.counts,
      fileViewsDir: this.host.fileViewsDir,
      fileViews: this.host.fileViews,
    };
    const session = WorkspaceBlockSession.onLease(this.host.instance, lease, spec, {
      willWrite: (table) => this.host.hold(table),
      wroteFileView: (table) => this.host.wroteFileView(table),
      closed: () => this.host.closed(session),
    });
    this.host.opened(session);
    return session;
  }

  private async newLease(): Promise<ConnectionLease> {
    const conn = await openWithViews(this.host.instance, this.spec.upstream);
    const lease: ConnectionLease = {
      conn,
      isProgressOn: false,
      release: (isReusable) => (isReusable && !this.isClosed ? this.idle.push(lease) : conn.closeSync()),
    };
    return lease;
  }

  private async publish(index: number, id: string, session: BlockSession, rows: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (isSharedSession(session)) {
      this.pending.push({ index, rows });
      this.sharedRows += rows;
      if (rows >= RECORD_AT_ONCE_ROWS) {
        this.record();
        await this.recording;
        if (this.failure !== undefined) throw this.failure;
      } else if (this.pending.length >= RECORD_EVERY_CHILDREN) this.record();
      else this.timer ??= setTimeout(() => this.record(), RECORD_EVERY_MS);
      return;
    }
    const physical = session.outputTable;
    if (physical === undefined) return;
    await this.host.publish({ pipelineId: this.spec.pipelineId, blockId: id, runId: this.spec.runId, physical, rows });
    this.ownTables.set(index, physical);
  }

  private async discard(index: number, session: BlockSession): Promise<void> {
    if (isSharedSession(session)) {
      const lease = this.idle.pop() ?? (await this.newLease());
      try {
        await this.shared.deleteChild(lease.conn, index);
      } finally {
        lease.release(true);
      }
      return;
    }
    const physical = session.outputTable;
    if (physical !== undefined && this.ownTables.get(index) !== physical) await this.host.discard(physical);
  }

  /** Queues a metadata step recording the children finished so far (registering the shared table first). */
  private record(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const children = this.pending;
    this.pending = [];
    this.recording = this.recording.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.host.recordChildren(this.shared, children);
        if (!this.isRegistered) await this.register();
      } catch (error) {
        this.failure = error; // finish() reports it: the fan-out fails rather than lose its children's outputs
      }
    });
  }

  /** Publishes the shared table as `<block>[]` (again at the end, with its final row count). */
  private async register(): Promise<void> {
    const { pipelineId, blockId, runId } = this.spec;
    await this.host.publish({
      pipelineId,
      blockId: childrenOutputId(blockId),
      runId,
      physical: this.shared.physical,
      rows: this.sharedRows,
    });
    this.isRegistered = true;
  }
}

function isSharedSession(session: BlockSession): boolean {
  return session instanceof WorkspaceBlockSession && session.isShared;
}
