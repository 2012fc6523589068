import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Connection, Statement } from 'better-sqlite3';
import { OperationalError, PipewrightError, UserError, type ErrorShape } from '../model/errors.ts';
import type { OutputStats, RunEvent } from '../model/run-events.ts';
import { migrate } from './migrations.ts';
import { OutputStatsTable } from './output-stats-store.ts';
import { redactVariables } from '../model/redact-variables.ts';
import { redactEvent } from '../model/redact-url.ts';
import { checkWritable, storageError } from './storage-errors.ts';
import { pruneHistory, type HistoryPruneCounts, type HistoryPruneRequest } from './history-pruning.ts';
import { RunQueries, type LogFilter, type LogRow, type RunDetail, type RunFilter, type RunSummary } from './run-queries.ts';
import { logLineOfEvent } from '../model/event-log-lines.ts';
import type { ChildPage, ChildPageRequest } from './child-queries.ts';

export type { ChildCounts, ChildPage, ChildPageRequest, ChildRunRow } from './child-queries.ts';
export type {
  AttemptRow,
  AttemptStatus,
  BlockProgress,
  BlockRunRow,
  BlockRunStatus,
  LogFilter,
  LogRow,
  RunDetail,
  RunFilter,
  RunSummary,
} from './run-queries.ts';

/** A running run whose last heartbeat (or start, if it never beat) is older than this is judged orphaned. */
export const LEASE_MS = 60_000;
/** How long a statement waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;
/** Events that need no fsync wait at most this long, or for this many more, before they commit together. */
const BATCH_MS = 50;
const BATCH_EVENTS = 1_000;

/** Who records runs through this store: written on each run so other processes can tell whether it is alive. */
interface Owner {
  id: string;
  pid: number;
  host: string;
  /** The OS account of this process, recorded on each run for the audit. */
  user: string | null;
}

type Params = Record<string, unknown>;
type Fold = Statement<Params>;

/**
 * The run history: a synchronous fold of run events into SQLite tables (`.pipewright/history.sqlite`).
 *
 * Durability: WAL with synchronous=NORMAL never corrupts and keeps every commit across an application crash, but
 * the last commits may roll back on power loss (reference §5.2). That is fine for log lines, progress and
 * heartbeats. It is not for state transitions: a lost `run.finished` would turn a run that succeeded into an
 * `interrupted` one, a lost `run.started` would hide a run whose outputs exist. So state-changing folds commit
 * with synchronous=FULL (flipped on the connection around their transaction), which fsyncs the WAL and with it
 * every NORMAL commit written before. Keeping logs at NORMAL avoids an fsync per log line on the main thread.
 * Dynamic children (`<block>[<n>]`) commit at NORMAL too: 100,000 children must not mean 300,000 fsyncs. Losing a
 * child's last commits on power loss can only happen while its parent is unfinished (the parent's own transitions
 * stay FULL and fsync them all), so the run is found `interrupted` and resume re-runs the whole fan-out anyway.
 * For the same reason children's events are grouped: they commit together every 50 ms (or 1,000 events), and
 * before any other event, in order, so a fan-out pays one transaction per batch rather than five per child. A crash
 * may lose the last 50 ms of them, never another event. Reads through this store commit what is waiting first; other
 * processes see children at most 50 ms late.
 */
export class RunStore {
  private readonly db: Connection;
  private readonly owner: Owner;
  private readonly queries: RunQueries;
  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly outputStats: OutputStatsTable;
  private readonly foldInTransaction: (events: readonly RunEvent[]) => void;
  /** Events waiting for the next batch commit (see the class comment). */
  private pending: RunEvent[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  /** A batch committed by the timer failed: the next record() throws it, as record() itself would have. */
  private batchFailure: unknown;
  /** Runs this store started and has not seen finish: alive by definition, whatever their lease says. */
  private readonly ownRunningRuns = new Set<string>();
  /** Next plan position of a dynamic child, per run in flight: counted here, not `max(position)` over the run per child. */
  private readonly nextPositions = new Map<string, number>();

  private constructor(db: Connection, owner: Owner) {
    this.db = db;
    this.owner = owner;
    this.queries = new RunQueries(db);
    this.sql = prepareStatements(db);
    this.outputStats = new OutputStatsTable(db);
    this.foldInTransaction = db.transaction((events: readonly RunEvent[]) => {
      for (const event of events) this.fold(event);
    }).immediate;
  }

  /** Opens (creating and migrating) the store at `file`; marks runs whose owning process is gone `interrupted`. */
  static open(file: string, opts: { ownerId?: string } = {}): RunStore {
    let db: Connection | undefined;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      // `timeout` is better-sqlite3's busy_timeout: writers of other processes are waited for, not failed on.
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new OperationalError(
          `the run history cannot use WAL mode (it stays in '${String(mode)}' mode): keep the project on a local disk, not a network drive`,
          { place: { file }, permanent: true },
        );
      }
      db.pragma('synchronous = NORMAL'); // raised to FULL around state transitions, see the class comment
      db.pragma('foreign_keys = ON'); // events for blocks a run never planned are bugs: let them fail loudly
      migrate(db, file);
      checkWritable(db, file);
      const host = os.hostname();
      const store = new RunStore(db, {
        id: opts.ownerId ?? `${host}:${process.pid}:${randomUUID().slice(0, 8)}`,
        pid: process.pid,
        host,
        user: osUser(),
      });
      store.markOrphanedRuns();
      return store;
    } catch (error) {
      db?.close();
      throw toOpenError(error, file);
    }
  }

  /**
   * Folds one run event into the store: a dynamic child's within 50 ms, any other at once (after the children's
   * waiting before it). Synchronous; throws only on a bug or a broken database (a failed batch: on the next call).
   */
  record(raw: RunEvent): void {
    // Writers other than the engine (alerts, pruning) log here too: nothing stored keeps a credential in a URL.
    const event = redactEvent(raw);
    this.throwBatchFailure();
    this.pending.push(event);
    if (isStateTransition(event)) this.durably(() => this.commitPending());
    else if (!isChildEvent(event) || this.pending.length >= BATCH_EVENTS) this.commitPending();
    else this.batchTimer ??= setTimeout(() => this.commitLater(), BATCH_MS).unref();
    if (event.type === 'run.started') this.ownRunningRuns.add(event.runId);
    if (event.type === 'run.finished') {
      this.ownRunningRuns.delete(event.runId);
      this.nextPositions.delete(event.runId);
    }
  }

  /** Commits the events waiting for their batch now (reads through this store do it first). */
  flush(): void {
    this.throwBatchFailure();
    this.commitPending();
  }

  /**
   * Folds several events in one transaction (one commit, one fsync at most): for writers that hold many events at
   * once, such as imports or a fan-out's children. Same checks as `record`; on error none of them is kept.
   */
  recordMany(raw: readonly RunEvent[]): void {
    const events = raw.map(redactEvent);
    this.flush(); // children's events waiting for their batch go first: the history keeps the order events came in
    const foldAll = this.db.transaction(() => {
      for (const event of events) this.fold(event);
    }).immediate;
    try {
      if (events.some(isStateTransition)) this.durably(foldAll);
      else foldAll();
    } catch (error) {
      throw storageError(error, this.db.name) ?? error;
    }
    for (const event of events) {
      if (event.type === 'run.started') this.ownRunningRuns.add(event.runId);
      if (event.type === 'run.finished') {
        this.ownRunningRuns.delete(event.runId);
        this.nextPositions.delete(event.runId);
      }
    }
  }

  /** The output stats of the block's latest successful run in the pipeline (drift's baseline), if it has one. */
  previousOutputStats(pipelineId: string, blockId: string): { runId: string; stats: OutputStats } | undefined {
    this.flush();
    return this.outputStats.latestOf(pipelineId, blockId);
  }

  /** Row count and schema of the block's last `limit` successful runs, newest first. */
  outputStatsHistory(pipelineId: string, blockId: string, limit: number): ReturnType<OutputStatsTable['recentOf']> {
    this.flush();
    return this.outputStats.recentOf(pipelineId, blockId, limit);
  }

  /** Refreshes the run's lease (the engine calls it every few seconds while the run goes on). */
  heartbeat(runId: string): void {
    this.sql.heartbeat.run({ runId, ownerId: this.owner.id, now: Date.now() });
  }

  /**
   * Marks running runs of other owners `interrupted` when their process is gone or their lease expired, with
   * their unfinished blocks; returns their ids. Runs of a live process with a fresh lease are never touched.
   */
  markOrphanedRuns(now = Date.now()): string[] {
    if (!this.sql.anyRunning.get()) return [];
    const sweep = this.db.transaction(() => {
      const interrupted: string[] = [];
      for (const run of this.sql.runningRuns.all() as OwnerRecord[]) {
        // Not `owner_id === ours`: a caller may reuse a fixed owner id across restarts, and its crashed runs must still be found.
        if (this.ownRunningRuns.has(run.id)) continue;
        const reason = orphanReason(run, now, this.owner.host);
        if (!reason) continue;
        const error: ErrorShape = {
          kind: 'operational',
          message: `interrupted: ${reason}; resume the run to finish its remaining blocks`,
          retryable: true,
        };
        const params = { runId: run.id, at: now, error: JSON.stringify(error) };
        this.sql.interruptAttempts.run(params);
        this.sql.interruptBlocks.run(params);
        this.sql.interruptRun.run(params);
        interrupted.push(run.id);
      }
      return interrupted;
    });
    // IMMEDIATE: re-reads the running runs under the write lock, so a run that just finished is not overwritten.
    return this.durably(() => sweep.immediate());
  }

  /** Ids of runs not in flight (every status but running), newest first, read a page at a time as the caller iterates. */
  *settledRunIds(): Generator<string> {
    const page = 500;
    for (let offset = 0; ; offset += page) {
      const runs = this.queries.listRuns({ limit: page, offset });
      for (const run of runs) if (run.status !== 'running') yield run.id;
      if (runs.length < page) return;
    }
  }

  /** Runs newest first, optionally of one pipeline or in one status (default limit 50). */
  listRuns(filter?: RunFilter): RunSummary[] {
    this.flush();
    return this.queries.listRuns(filter);
  }

  /** A run with its blocks (in plan order) and their attempts, or undefined when the store has no such run. */
  getRun(runId: string): RunDetail | undefined {
    this.flush();
    return this.queries.getRun(runId);
  }

  /** A run with its top-level blocks, a fanned-out block's children counted by status on it (see RunQueries.getRun). */
  getRunOverview(runId: string): RunDetail | undefined {
    this.flush();
    return this.queries.getRun(runId, { overview: true });
  }

  /** A page of a fanned-out block's dynamic children in index order, optionally of some statuses only. */
  listChildren(runId: string, parentId: string, request?: ChildPageRequest): ChildPage {
    this.flush();
    return this.queries.children.page(runId, parentId, request);
  }

  /** A run's log lines in writing order, filtered by block, lowest level and id (default limit 1000). */
  getLogs(runId: string, filter?: LogFilter): LogRow[] {
    this.flush();
    return this.queries.getLogs(runId, filter);
  }

  /** Unfinished or failed blocks of a run, in the order they were planned (for "resume"). */
  blocksToResume(runId: string): string[] {
    this.flush();
    const blocks = this.queries.blocksToResume(runId);
    if (!blocks) throw new UserError(`no run ${runId} in this project's history`);
    return blocks;
  }

  /** Deletes (or counts, dry) finished runs and log lines older than the given times; see pruneHistory. */
  prune(request: HistoryPruneRequest): HistoryPruneCounts {
    this.flush();
    return this.durably(() => pruneHistory(this.db, request));
  }

  /** Checkpoints and truncates the WAL, then closes; calling it again does nothing. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.commitPending();
      // Folds the WAL back into the main file so a closed project is one self-contained file (copies, backups)
      // and the WAL does not keep the size of its largest burst. Busy readers just leave part of it for later.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }

  /** Commits the waiting events in one transaction; if that fails, each alone, so only the bad one is lost (and thrown). */
  private commitPending(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const events = this.pending;
    if (events.length === 0) return;
    this.pending = [];
    try {
      this.foldInTransaction(events);
      return;
    } catch (error) {
      if (events.length === 1) throw storageError(error, this.db.name) ?? error;
    }
    let first: unknown;
    for (const event of events) {
      try {
        this.foldInTransaction([event]);
      } catch (error) {
        first ??= storageError(error, this.db.name) ?? error;
      }
    }
    if (first !== undefined) throw first;
  }

  private commitLater(): void {
    try {
      this.commitPending();
    } catch (error) {
      this.batchFailure ??= error;
    }
  }

  private throwBatchFailure(): void {
    const failure = this.batchFailure;
    if (failure === undefined) return;
    this.batchFailure = undefined;
    throw failure;
  }

  private durably<T>(work: () => T): T {
    this.sql.syncFull.run();
    try {
      return work();
    } finally {
      this.sql.syncNormal.run();
    }
  }

  private fold(e: RunEvent): void {
    this.foldState(e);
    // After the event's own checks: a failure, retry or skip also stands as a line in the block's log.
    const line = logLineOfEvent(e);
    if (line) this.sql.insertLog.run({ runId: e.runId, blockId: line.blockId, level: line.level, message: line.message, at: e.at });
  }

  private foldState(e: RunEvent): void {
    const s = this.sql;
    switch (e.type) {
      case 'run.started': {
        s.insertRun.run({
          runId: e.runId,
          pipelineId: e.pipelineId,
          triggerKind: e.trigger.kind,
          triggerBy: e.trigger.by ?? null,
          scope: JSON.stringify(e.scope),
          variables: JSON.stringify(redactVariables(e.variables)),
          pipelineHash: e.pipelineHash,
          codeHash: e.codeHash,
          at: e.at,
          ownerId: this.owner.id,
          ownerPid: this.owner.pid,
          ownerHost: this.owner.host,
          osUser: this.owner.user,
        });
        e.blocks.forEach((blockId, position) => s.insertBlockRun.run({ runId: e.runId, blockId, position }));
        return;
      }
      case 'block.added':
        // A dynamic child: planned after every block already in the run, so resume order stays the plan's.
        s.insertAddedBlock.run({ runId: e.runId, blockId: e.blockId, position: this.nextPosition(e.runId) });
        return;
      case 'block.queued':
        // Only a pending block becomes queued: a late event must not move a started block back.
        if (s.queueBlock.run(blockKey(e)).changes === 0) this.requireBlock(e);
        return;
      case 'block.started':
        s.insertAttempt.run({ ...blockKey(e), attempt: e.attempt, at: e.at });
        s.startBlock.run({ ...blockKey(e), attempt: e.attempt, at: e.at });
        return;
      case 'block.progressed': {
        const progress = { phase: e.phase, done: e.done, total: e.total, unit: e.unit, rate: e.rate, at: e.at };
        if (s.setProgress.run({ ...blockKey(e), progress: JSON.stringify(progress) }).changes === 0) this.requireBlock(e);
        return;
      }
      case 'log.written':
        s.insertLog.run({ runId: e.runId, blockId: e.blockId, level: e.level, message: e.message, at: e.at });
        return;
      case 'block.retrying':
        // The block stays `running`: it is inside its retry loop, and the failed attempt carries the delay.
        this.endAttempt(e, 'failed', e.error, e.delayMs);
        return;
      case 'block.succeeded':
        this.endAttempt(e, 'succeeded');
        this.endBlock(e, 'succeeded', { tests: e.tests });
        this.recordMetrics(e, { rows_in: e.rowsIn, rows_out: e.rowsOut, bytes: e.bytes, duration_ms: e.durationMs });
        if (e.stats) this.outputStats.record({ ...e, stats: e.stats });
        return;
      case 'block.failed':
        this.endAttempt(e, 'failed', e.error);
        this.endBlock(e, 'failed', { error: e.error, tests: e.tests });
        this.recordMetrics(e, { duration_ms: e.durationMs });
        return;
      case 'block.skipped':
        this.endBlock(e, e.status, { skipReason: e.reason });
        return;
      case 'block.cancelled':
        s.cancelRunningAttempts.run({ ...blockKey(e), at: e.at });
        this.endBlock(e, 'cancelled', {});
        return;
      case 'run.finished': {
        const params = { runId: e.runId, status: e.status, at: e.at, durationMs: e.durationMs, error: jsonOrNull(e.error) };
        if (s.finishRun.run(params).changes === 0) throw new Error(`run store: run.finished for unknown run ${e.runId}`);
        return;
      }
    }
  }

  private nextPosition(runId: string): number {
    const position = this.nextPositions.get(runId) ?? (this.sql.lastPosition.get({ runId }) as { last: number }).last + 1;
    this.nextPositions.set(runId, position + 1);
    return position;
  }

  private endAttempt(
    e: { runId: string; blockId: string; attempt: number; at: number },
    status: string,
    error?: ErrorShape,
    delayMs?: number,
  ): void {
    const params = { ...blockKey(e), attempt: e.attempt, status, at: e.at, error: jsonOrNull(error), delayMs: delayMs ?? null };
    if (this.sql.endAttempt.run(params).changes === 0) {
      throw new Error(`run store: attempt ${e.attempt} of block ${e.blockId} (run ${e.runId}) ended but never started`);
    }
  }

  private endBlock(
    e: { runId: string; blockId: string; at: number },
    status: string,
    extra: { error?: ErrorShape; tests?: unknown[] | undefined; skipReason?: string },
  ): void {
    const params = {
      ...blockKey(e),
      status,
      at: e.at,
      error: jsonOrNull(extra.error),
      tests: jsonOrNull(extra.tests),
      skipReason: extra.skipReason ?? null,
    };
    if (this.sql.endBlock.run(params).changes === 0) this.requireBlock(e);
  }

  private recordMetrics(e: { runId: string; blockId: string }, metrics: Record<string, number | undefined>): void {
    for (const [name, value] of Object.entries(metrics)) {
      if (value !== undefined) this.sql.upsertMetric.run({ ...blockKey(e), name, value });
    }
  }

  private requireBlock(e: { runId: string; blockId: string }): void {
    if (!this.sql.blockExists.get(blockKey(e))) throw new Error(`run store: block ${e.blockId} is not part of run ${e.runId}`);
  }
}

/** The OS user name of this process, or null where the OS cannot say (no passwd entry in a container). */
function osUser(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? null; // userInfo throws without a passwd entry
  }
}

interface OwnerRecord {
  id: string;
  owner_pid: number;
  owner_host: string;
  started_at: number;
  heartbeat_at: number | null;
}

/** Why a running run of another owner is orphaned, or undefined while its owner is alive with a fresh lease. */
function orphanReason(run: OwnerRecord, now: number, host: string): string | undefined {
  // A run that never heartbeated is judged by its start (Airflow's bug: NULL < limit is never true).
  const lastSeen = run.heartbeat_at ?? run.started_at;
  const where = `pid ${run.owner_pid} on ${run.owner_host}`;
  if (now - lastSeen > LEASE_MS)
    return `the process running it (${where}) stopped renewing its lease at ${new Date(lastSeen).toISOString()}`;
  if (run.owner_host === host && !isProcessAlive(run.owner_pid)) return `the process running it (${where}) exited before the run finished`;
  return undefined;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only checks that the process exists
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user. Anything else but ESRCH: we cannot tell, so the lease decides.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Events whose loss on power failure would change what recovery or resume decides; see the class comment. */
function isStateTransition(event: RunEvent): boolean {
  // A queued block and a pending one are the same to recovery and resume, so `block.queued` need not be durable.
  if (event.type === 'log.written' || event.type === 'block.progressed' || event.type === 'block.queued') return false;
  return !isChildEvent(event);
}

function isChildEvent(event: RunEvent): boolean {
  return 'blockId' in event && isChildBlockId(event.blockId);
}

/** `each[12]`: a dynamic child (block ids are identifiers, so only a child's id has a bracket). */
function isChildBlockId(blockId: string | null): boolean {
  return blockId !== null && blockId.endsWith(']');
}

function blockKey(e: { runId: string; blockId: string }): { runId: string; blockId: string } {
  return { runId: e.runId, blockId: e.blockId };
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function toOpenError(error: unknown, file: string): unknown {
  if (error instanceof PipewrightError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return error;
  const message = error instanceof Error ? error.message : String(error);
  return new OperationalError(`cannot open the run history: ${message} (${code})`, {
    place: { file },
    permanent: code !== 'SQLITE_BUSY',
    cause: error,
  });
}

/** Every statement the write side uses, prepared once per connection. */
function prepareStatements(db: Connection) {
  const fold = (sql: string): Fold => db.prepare<Params>(sql);
  return {
    syncFull: db.prepare('PRAGMA synchronous = FULL'),
    syncNormal: db.prepare('PRAGMA synchronous = NORMAL'),
    insertRun: fold(`INSERT INTO runs (id, pipeline_id, status, trigger_kind, trigger_by, scope_json, variables_json, pipeline_hash,
        code_hash, started_at, owner_id, owner_pid, owner_host, os_user)
      VALUES (@runId, @pipelineId, 'running', @triggerKind, @triggerBy, @scope, @variables, @pipelineHash,
        @codeHash, @at, @ownerId, @ownerPid, @ownerHost, @osUser)`),
    insertBlockRun: fold(`INSERT INTO block_runs (run_id, block_id, position, status) VALUES (@runId, @blockId, @position, 'pending')`),
    insertAddedBlock: fold(`INSERT INTO block_runs (run_id, block_id, position, status) VALUES (@runId, @blockId, @position, 'pending')`),
    lastPosition: fold(`SELECT coalesce(max(position), -1) AS last FROM block_runs WHERE run_id = @runId`),
    queueBlock: fold(`UPDATE block_runs SET status = 'queued' WHERE run_id = @runId AND block_id = @blockId AND status = 'pending'`),
    insertAttempt: fold(
      `INSERT INTO attempts (run_id, block_id, attempt, status, started_at) VALUES (@runId, @blockId, @attempt, 'running', @at)`,
    ),
    startBlock: fold(`UPDATE block_runs SET status = 'running', attempts = max(attempts, @attempt), started_at = coalesce(started_at, @at)
      WHERE run_id = @runId AND block_id = @blockId`),
    setProgress: fold(`UPDATE block_runs SET progress_json = @progress WHERE run_id = @runId AND block_id = @blockId`),
    insertLog: fold(`INSERT INTO logs (run_id, block_id, level, message, at) VALUES (@runId, @blockId, @level, @message, @at)`),
    endAttempt: fold(`UPDATE attempts SET status = @status, finished_at = @at, error_json = @error, retry_delay_ms = @delayMs
      WHERE run_id = @runId AND block_id = @blockId AND attempt = @attempt`),
    endBlock: fold(`UPDATE block_runs SET status = @status, finished_at = @at, duration_ms = @at - started_at,
        error_json = @error, tests_json = @tests, skip_reason = @skipReason
      WHERE run_id = @runId AND block_id = @blockId`),
    cancelRunningAttempts: fold(`UPDATE attempts SET status = 'cancelled', finished_at = @at
      WHERE run_id = @runId AND block_id = @blockId AND status = 'running'`),
    upsertMetric: fold(`INSERT INTO metrics (run_id, block_id, name, value) VALUES (@runId, @blockId, @name, @value)
      ON CONFLICT (run_id, block_id, name) DO UPDATE SET value = excluded.value`),
    blockExists: fold(`SELECT 1 FROM block_runs WHERE run_id = @runId AND block_id = @blockId`),
    finishRun: fold(
      `UPDATE runs SET status = @status, finished_at = @at, duration_ms = @durationMs, error_json = @error WHERE id = @runId`,
    ),
    heartbeat: fold(`UPDATE runs SET heartbeat_at = @now WHERE id = @runId AND owner_id = @ownerId AND status = 'running'`),
    anyRunning: db.prepare(`SELECT 1 FROM runs WHERE status = 'running' LIMIT 1`),
    runningRuns: db.prepare(`SELECT id, owner_pid, owner_host, started_at, heartbeat_at FROM runs WHERE status = 'running'`),
    interruptAttempts: fold(`UPDATE attempts SET status = 'interrupted', finished_at = @at WHERE run_id = @runId AND status = 'running'`),
    // SET expressions all see the row as it was, so `status = 'running'` below means "was running".
    interruptBlocks: fold(`UPDATE block_runs SET status = 'interrupted',
        finished_at = CASE WHEN status = 'running' THEN @at ELSE finished_at END,
        error_json = CASE WHEN status = 'running' THEN @error ELSE error_json END
      WHERE run_id = @runId AND status IN ('pending', 'queued', 'running')`),
    interruptRun: fold(
      `UPDATE runs SET status = 'interrupted', finished_at = @at, error_json = @error WHERE id = @runId AND status = 'running'`,
    ),
  };
}
