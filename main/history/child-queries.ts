import type { Database, Statement } from 'better-sqlite3';
import { StatementCache } from './statement-cache.ts';
import type { ErrorShape } from '../model/errors.ts';
import type { BlockRunStatus } from './run-queries.ts';

/** How many children of one fanned-out block are in each state; `total` is their sum. */
export interface ChildCounts {
  total: number;
  byStatus: Partial<Record<BlockRunStatus, number>>;
}

/** One dynamic child (`<parent>[<index>]`) as a page of children shows it. */
export interface ChildRunRow {
  blockId: string;
  index: number;
  status: BlockRunStatus;
  attempts: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  rowsOut: number | null;
  error?: ErrorShape;
}

export interface ChildPageRequest {
  /** Only children in one of these states (e.g. the failed ones); all when absent or empty. */
  statuses?: readonly BlockRunStatus[];
  /** The first matching children whose index is at least this (the first page, or a jump to a child). */
  fromIndex?: number;
  /** The next page: matching children after this index. */
  afterIndex?: number;
  /** The previous page: the matching children just before this index (`Number.MAX_SAFE_INTEGER`: the last page). */
  beforeIndex?: number;
  limit?: number;
}

export interface ChildPage {
  /** Matching children in all (with the status filter applied). */
  total: number;
  /** The page, in index order. */
  children: ChildRunRow[];
  /** Whether matching children come before the page's first one / after its last one. */
  hasBefore: boolean;
  hasAfter: boolean;
}

/** A page never holds more than this many children, whatever the caller asks. */
export const MAX_CHILD_PAGE = 500;

interface ChildRecord {
  block_id: string;
  child_index: number;
  status: BlockRunStatus;
  attempts: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  error_json: string | null;
  rows_out: number | null;
}

/**
 * Reads of a run's dynamic children through the `block_runs_children` index (migration step 5): counts by status
 * and pages in index order, each an index range scan, so a fan-out of 100,000 costs milliseconds, not its size.
 */
export class ChildQueries {
  private readonly db: Database;
  private readonly statements: StatementCache;

  constructor(db: Database) {
    this.db = db;
    this.statements = new StatementCache(db);
  }

  /** Children counts by status of every fanned-out block of the run, keyed by parent block id (from child_counts). */
  countsOf(runId: string): Map<string, ChildCounts> {
    const rows = this.statement(`SELECT parent_id, status, n FROM child_counts WHERE run_id = ? AND n > 0`).all(runId) as {
      parent_id: string;
      status: BlockRunStatus;
      n: number;
    }[];
    const counts = new Map<string, ChildCounts>();
    for (const row of rows) {
      const entry = counts.get(row.parent_id) ?? { total: 0, byStatus: {} };
      entry.total += row.n;
      entry.byStatus[row.status] = row.n;
      counts.set(row.parent_id, entry);
    }
    return counts;
  }

  /**
   * A page of `parentId`'s children in index order, filtered by status, all read in one snapshot. Keyset paging
   * (from / after / before an index) is a seek on `block_runs_children`, so the last page of 100,000 costs what the
   * first does; the total comes from child_counts.
   */
  page(runId: string, parentId: string, request: ChildPageRequest = {}): ChildPage {
    const statuses = [...new Set(request.statuses ?? [])]; // a repeated status must not count twice
    const filter = statuses.length > 0 ? `AND status IN (${statuses.map((_, i) => `@s${i}`).join(', ')})` : '';
    const params = { runId, parentId, ...Object.fromEntries(statuses.map((s, i) => [`s${i}`, s])) };
    const limit = Math.min(Math.max(request.limit ?? 50, 1), MAX_CHILD_PAGE);
    const matching = `FROM block_runs WHERE run_id = @runId AND parent_id = @parentId ${filter}`;
    const seek = seekOf(request);
    return this.db.transaction((): ChildPage => {
      const counts = this.countsOf(runId).get(parentId);
      const total = statuses.length > 0 ? statuses.reduce((sum, s) => sum + (counts?.byStatus[s] ?? 0), 0) : (counts?.total ?? 0);
      const order = seek.isBackward ? 'DESC' : 'ASC';
      const keys = this.statement(
        `SELECT block_id, child_index ${matching} AND child_index ${seek.op} @bound ORDER BY child_index ${order} LIMIT @limit`,
      );
      const found = keys.all({ ...params, bound: seek.bound, limit }) as { block_id: string; child_index: number }[];
      if (seek.isBackward) found.reverse();
      const exists = (condition: string, index: number) =>
        this.statement(`SELECT 1 ${matching} AND child_index ${condition} @index LIMIT 1`).get({ ...params, index }) !== undefined;
      const [first, last] = [found[0]?.child_index, found.at(-1)?.child_index];
      const row = this.statement(`SELECT b.block_id, b.child_index, b.status, b.attempts, b.started_at, b.finished_at, b.duration_ms,
          b.error_json, (SELECT value FROM metrics m WHERE m.run_id = b.run_id AND m.block_id = b.block_id AND m.name = 'rows_out') AS rows_out
        FROM block_runs b WHERE b.run_id = @runId AND b.block_id = @blockId`);
      return {
        total,
        children: found.map((k) => toChild(row.get({ runId, blockId: k.block_id }) as ChildRecord)),
        // An empty page (a jump past the last child) still says which way children are.
        hasBefore: exists('<', first ?? (seek.isBackward ? 0 : seek.bound + (seek.op === '>' ? 1 : 0))),
        hasAfter: exists('>', last ?? (seek.isBackward ? seek.bound - 1 : Number.MAX_SAFE_INTEGER)),
      };
    })();
  }

  private statement(sql: string): Statement {
    return this.statements.get(sql);
  }
}

/** Where a page starts: after, from or before an index (forward from 0 when none is given). */
function seekOf(request: ChildPageRequest): { op: '>' | '>=' | '<'; bound: number; isBackward: boolean } {
  if (request.afterIndex !== undefined) return { op: '>', bound: request.afterIndex, isBackward: false };
  if (request.fromIndex !== undefined) return { op: '>=', bound: request.fromIndex, isBackward: false };
  if (request.beforeIndex !== undefined) return { op: '<', bound: request.beforeIndex, isBackward: true };
  return { op: '>=', bound: 0, isBackward: false };
}

function toChild(r: ChildRecord): ChildRunRow {
  return {
    blockId: r.block_id,
    index: r.child_index,
    status: r.status,
    attempts: r.attempts,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    rowsOut: r.rows_out,
    ...(r.error_json !== null ? { error: JSON.parse(r.error_json) as ErrorShape } : {}),
  };
}
