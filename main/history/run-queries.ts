import type { ProgressUnit } from '../model/run-events.ts';
import type { Database, Statement } from 'better-sqlite3';
import { StatementCache } from './statement-cache.ts';
import type { ErrorShape } from '../model/errors.ts';
import type { BlockStatus, BlockTestResult, LogLevel, RunScope, RunStatus, RunTrigger } from '../model/run-events.ts';
import { ChildQueries, type ChildCounts } from './child-queries.ts';

/** A block's state in the store: the engine's states plus `interrupted` (its process died mid-run). */
export type BlockRunStatus = BlockStatus | 'interrupted';

export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** One line of the runs list. Times are milliseconds since the epoch. */
export interface RunSummary {
  id: string;
  pipelineId: string;
  status: RunStatus;
  trigger: RunTrigger;
  scope: RunScope;
  startedAt: number;
  finishedAt: number | null;
  /** null while running, and for interrupted runs (their real end is unknown). */
  durationMs: number | null;
  error?: ErrorShape;
}

export interface AttemptRow {
  attempt: number;
  status: AttemptStatus;
  startedAt: number;
  finishedAt: number | null;
  error?: ErrorShape;
  /** Set when the attempt failed and the engine waited this long before the next one. */
  retryDelayMs?: number;
}

/** The latest progress a running block reported (only the latest is kept). */
export interface BlockProgress {
  phase: string;
  done: number;
  total?: number;
  unit: ProgressUnit;
  rate?: number;
  at: number;
}

export interface BlockRunRow {
  blockId: string;
  status: BlockRunStatus;
  /** Attempts started so far. */
  attempts: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Wall time from the first attempt's start to the block's end, retries and their delays included. */
  durationMs: number | null;
  rowsIn: number | null;
  rowsOut: number | null;
  bytes: number | null;
  error?: ErrorShape;
  tests?: BlockTestResult[];
  skipReason?: string;
  progress?: BlockProgress;
  attemptsDetail: AttemptRow[];
  /** A fanned-out block's dynamic children counted by status (only in a run's overview, which leaves them out). */
  children?: ChildCounts;
}

export interface RunDetail extends RunSummary {
  variables: Record<string, unknown>;
  pipelineHash: string;
  codeHash: string;
  /** The OS account of the process that ran it (null for runs recorded before it was kept). */
  osUser: string | null;
  /** Blocks in the order the run planned them; in an overview, only the top-level ones (children are counted). */
  blocks: BlockRunRow[];
}

export interface LogRow {
  id: number;
  runId: string;
  /** null for run-level lines. */
  blockId: string | null;
  level: LogLevel;
  message: string;
  at: number;
}

export interface RunFilter {
  pipelineId?: string;
  status?: RunStatus;
  limit?: number;
  offset?: number;
}

export interface LogFilter {
  blockId?: string;
  /** A block's lines and its fan-out children's (`each` and `each[0]`, `each[1]`, …). */
  withChildrenOf?: string;
  /** Only the run's and top-level blocks' lines: a fan-out's children (`each[3]`) log thousands the run's log leaves out. */
  topLevel?: boolean;
  /** The lowest level returned: `warn` returns warn and error lines. */
  level?: LogLevel;
  /** Only lines written after the line with this id (for tailing). */
  afterId?: number;
  limit?: number;
}

interface RunRecord {
  id: string;
  pipeline_id: string;
  status: RunStatus;
  trigger_kind: RunTrigger['kind'];
  trigger_by: string | null;
  scope_json: string;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  error_json: string | null;
}
interface RunDetailRecord extends RunRecord {
  variables_json: string;
  os_user: string | null;
  pipeline_hash: string;
  code_hash: string;
}
interface BlockRunRecord {
  block_id: string;
  status: BlockRunStatus;
  attempts: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  error_json: string | null;
  tests_json: string | null;
  skip_reason: string | null;
  progress_json: string | null;
}
interface AttemptRecord {
  block_id: string;
  attempt: number;
  status: AttemptStatus;
  started_at: number;
  finished_at: number | null;
  error_json: string | null;
  retry_delay_ms: number | null;
}
interface LogRecord {
  id: number;
  run_id: string;
  block_id: string | null;
  level: LogLevel;
  message: string;
  at: number;
}

const SUMMARY_COLUMNS = 'id, pipeline_id, status, trigger_kind, trigger_by, scope_json, started_at, finished_at, duration_ms, error_json';
const LEVEL_RANK = "CASE level WHEN 'debug' THEN 0 WHEN 'info' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END";
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** Block states a resume runs again: everything that did not succeed and was not deliberately skipped. */
const DONE_FOR_RESUME = ['succeeded', 'skipped'] as const;

/** Every block of a run, dynamic children included (one row per child). */
const FULL_SQL = {
  blocks: 'SELECT * FROM block_runs WHERE run_id = @runId ORDER BY position',
  attempts: 'SELECT * FROM attempts WHERE run_id = @runId ORDER BY block_id, attempt',
  metrics: 'SELECT block_id, name, value FROM metrics WHERE run_id = @runId',
};
/** Top-level blocks only, through the `block_runs_top_level` partial index; attempts and metrics then block by block. */
const OVERVIEW_SQL = {
  blocks: 'SELECT * FROM block_runs WHERE run_id = @runId AND parent_id IS NULL ORDER BY position',
  attempts: 'SELECT * FROM attempts WHERE run_id = @runId AND block_id = @blockId ORDER BY attempt',
  metrics: 'SELECT block_id, name, value FROM metrics WHERE run_id = @runId AND block_id = @blockId',
};

/** The read side of the run store: every query runs in one read transaction, so it sees one snapshot. */
export class RunQueries {
  private readonly db: Database;
  /** Filter combinations are few and fixed, so each gets one statement, prepared on first use. */
  private readonly statements: StatementCache;
  /** Reads of dynamic children (pages, counts) through their own index. */
  readonly children: ChildQueries;

  constructor(db: Database) {
    this.db = db;
    this.statements = new StatementCache(db);
    this.children = new ChildQueries(db);
  }

  /** Runs newest first, optionally of one pipeline or in one status. */
  listRuns(filter: RunFilter = {}): RunSummary[] {
    const where = [
      filter.pipelineId !== undefined ? 'pipeline_id = @pipelineId' : '',
      filter.status !== undefined ? 'status = @status' : '',
    ];
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM runs ${whereClause(where)} ORDER BY started_at DESC, id DESC LIMIT @limit OFFSET @offset`;
    const rows = this.statement(sql).all({
      ...(filter.pipelineId !== undefined ? { pipelineId: filter.pipelineId } : {}),
      ...(filter.status !== undefined ? { status: filter.status } : {}),
      limit: filter.limit ?? 50,
      offset: filter.offset ?? 0,
    }) as RunRecord[];
    return rows.map(toRunSummary);
  }

  /**
   * A run with its blocks (in plan order) and their attempts, or undefined when the store has no such run.
   * `overview` leaves dynamic children out and counts them by status on their parent instead: its cost does not
   * grow with a fan-out (page the children with `ChildQueries.page`).
   */
  getRun(runId: string, opts: { overview?: boolean } = {}): RunDetail | undefined {
    return this.db.transaction(() => {
      const run = this.statement(`SELECT ${SUMMARY_COLUMNS}, variables_json, pipeline_hash, code_hash, os_user FROM runs WHERE id = ?`).get(
        runId,
      ) as RunDetailRecord | undefined;
      if (!run) return undefined;
      const sql = opts.overview ? OVERVIEW_SQL : FULL_SQL;
      const blocks = this.statement(sql.blocks).all({ runId }) as BlockRunRecord[];
      // An overview reads attempts and metrics of its few top-level blocks only, never a fan-out's.
      const perBlock = <T>(query: string): T[] =>
        opts.overview
          ? blocks.flatMap((b) => this.statement(query).all({ runId, blockId: b.block_id }) as T[])
          : (this.statement(query).all({ runId }) as T[]);
      const attempts = perBlock<AttemptRecord>(sql.attempts);
      const attemptsByBlock = new Map<string, AttemptRecord[]>();
      for (const a of attempts) {
        const list = attemptsByBlock.get(a.block_id);
        if (list) list.push(a);
        else attemptsByBlock.set(a.block_id, [a]);
      }
      const metricRows = perBlock<{ block_id: string; name: string; value: number }>(sql.metrics);
      const children = opts.overview ? this.children.countsOf(runId) : new Map<string, ChildCounts>();
      const metrics = new Map(metricRows.map((m) => [`${m.block_id}\0${m.name}`, m.value]));
      const metricOf = (blockId: string, name: string) => metrics.get(`${blockId}\0${name}`) ?? null;
      return {
        ...toRunSummary(run),
        variables: JSON.parse(run.variables_json) as Record<string, unknown>,
        pipelineHash: run.pipeline_hash,
        codeHash: run.code_hash,
        osUser: run.os_user,
        blocks: blocks.map((b) => ({
          ...toBlockRun(b),
          rowsIn: metricOf(b.block_id, 'rows_in'),
          rowsOut: metricOf(b.block_id, 'rows_out'),
          bytes: metricOf(b.block_id, 'bytes'),
          attemptsDetail: (attemptsByBlock.get(b.block_id) ?? []).map(toAttempt),
          ...(children.has(b.block_id) ? { children: children.get(b.block_id) } : {}),
        })),
      };
    })();
  }

  /** A run's log lines in the order they were written, filtered by block and lowest level. */
  getLogs(runId: string, filter: LogFilter = {}): LogRow[] {
    const where = [
      'run_id = @runId',
      'id > @afterId',
      filter.blockId !== undefined ? 'block_id = @blockId' : '',
      filter.withChildrenOf !== undefined ? "(block_id = @parent OR substr(block_id, 1, length(@parent) + 1) = @parent || '[')" : '',
      // Block ids are identifiers: only a child's id holds a bracket.
      filter.topLevel ? "(block_id IS NULL OR instr(block_id, '[') = 0)" : '',
      filter.level !== undefined ? `${LEVEL_RANK} >= @rank` : '',
    ];
    const rows = this.statement(`SELECT * FROM logs ${whereClause(where)} ORDER BY id LIMIT @limit`).all({
      runId,
      afterId: filter.afterId ?? 0,
      limit: filter.limit ?? 1000,
      ...(filter.blockId !== undefined ? { blockId: filter.blockId } : {}),
      ...(filter.withChildrenOf !== undefined ? { parent: filter.withChildrenOf } : {}),
      ...(filter.level !== undefined ? { rank: LEVELS.indexOf(filter.level) } : {}),
    }) as LogRecord[];
    return rows.map((r) => ({ id: r.id, runId: r.run_id, blockId: r.block_id, level: r.level, message: r.message, at: r.at }));
  }

  /** Blocks of a run that did not succeed and were not skipped on purpose, in plan order; undefined for an unknown run. */
  blocksToResume(runId: string): string[] | undefined {
    return this.db.transaction(() => {
      if (!this.statement('SELECT 1 FROM runs WHERE id = ?').get(runId)) return undefined;
      const sql = `SELECT block_id FROM block_runs WHERE run_id = ? AND status NOT IN (${DONE_FOR_RESUME.map((s) => `'${s}'`).join(', ')}) ORDER BY position`;
      return this.statement(sql).pluck().all(runId) as string[];
    })();
  }

  private statement(sql: string): Statement {
    return this.statements.get(sql);
  }
}

function whereClause(conditions: string[]): string {
  const present = conditions.filter(Boolean);
  return present.length > 0 ? `WHERE ${present.join(' AND ')}` : '';
}

function parseJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

function toRunSummary(r: RunRecord): RunSummary {
  const error = parseJson<ErrorShape>(r.error_json);
  return {
    id: r.id,
    pipelineId: r.pipeline_id,
    status: r.status,
    trigger: r.trigger_by === null ? { kind: r.trigger_kind } : { kind: r.trigger_kind, by: r.trigger_by },
    scope: JSON.parse(r.scope_json) as RunScope,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    ...(error ? { error } : {}),
  };
}

function toBlockRun(b: BlockRunRecord): Omit<BlockRunRow, 'rowsIn' | 'rowsOut' | 'bytes' | 'attemptsDetail'> {
  const error = parseJson<ErrorShape>(b.error_json);
  const tests = parseJson<BlockTestResult[]>(b.tests_json);
  const progress = parseJson<BlockProgress>(b.progress_json);
  return {
    blockId: b.block_id,
    status: b.status,
    attempts: b.attempts,
    startedAt: b.started_at,
    finishedAt: b.finished_at,
    durationMs: b.duration_ms,
    ...(error ? { error } : {}),
    ...(tests ? { tests } : {}),
    ...(b.skip_reason !== null ? { skipReason: b.skip_reason } : {}),
    ...(progress ? { progress } : {}),
  };
}

function toAttempt(a: AttemptRecord): AttemptRow {
  const error = parseJson<ErrorShape>(a.error_json);
  return {
    attempt: a.attempt,
    status: a.status,
    startedAt: a.started_at,
    finishedAt: a.finished_at,
    ...(error ? { error } : {}),
    ...(a.retry_delay_ms !== null ? { retryDelayMs: a.retry_delay_ms } : {}),
  };
}
