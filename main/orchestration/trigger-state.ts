import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import { migrate } from '../history/migrations.ts';

/** What happened to one scheduled time of a trigger. */
export type TriggerFireKind = 'trigger.fired' | 'trigger.skipped' | 'trigger.missed' | 'trigger.failed';

export interface TriggerFire {
  pipelineId: string;
  triggerName: string;
  kind: TriggerFireKind;
  /** The time the fire was due (ms since the epoch). */
  scheduledAt: number;
  runId?: string;
  reason?: string;
  /** When the scheduler handled it. */
  at: number;
}

/** Where a trigger's schedule stands. */
export interface TriggerCursor {
  /** Cron, time zone and enabled flag the cursor belongs to. */
  signature: string;
  /** Scheduled time of the latest fire handled. */
  lastFiredAt: number;
}

interface FireRow {
  pipeline_id: string;
  trigger_name: string;
  kind: TriggerFireKind;
  scheduled_at: number;
  run_id: string | null;
  reason: string | null;
  at: number;
}

/**
 * Trigger cursors and fire records in the project's run history file (tables `trigger_state`, `trigger_fires`).
 * Its own connection to the file: SQLite in WAL mode lets it write beside the run store. Writes are fsynced
 * (synchronous=FULL): a cursor lost on power failure would fire a schedule twice, and these writes are rare.
 */
export class TriggerStateStore {
  private readonly db: Connection;

  private constructor(db: Connection) {
    this.db = db;
  }

  /** Opens the history file at `file` (creating or migrating it when needed). */
  static open(file: string): TriggerStateStore {
    const db = new Database(file, { timeout: 5_000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrate(db, file);
      return new TriggerStateStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** The trigger's cursor, or undefined for a trigger never seen before. */
  readCursor(pipelineId: string, triggerName: string): TriggerCursor | undefined {
    const row = this.db
      .prepare('SELECT signature, last_fired_at FROM trigger_state WHERE pipeline_id = ? AND trigger_name = ?')
      .get(pipelineId, triggerName) as { signature: string; last_fired_at: number } | undefined;
    return row ? { signature: row.signature, lastFiredAt: row.last_fired_at } : undefined;
  }

  /** Stores the trigger's cursor (durably, before the run it stands for starts). */
  writeCursor(pipelineId: string, triggerName: string, cursor: TriggerCursor, now: number): void {
    this.db
      .prepare(
        `INSERT INTO trigger_state (pipeline_id, trigger_name, signature, last_fired_at, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (pipeline_id, trigger_name) DO UPDATE SET signature = excluded.signature, last_fired_at = excluded.last_fired_at, updated_at = excluded.updated_at`,
      )
      .run(pipelineId, triggerName, cursor.signature, cursor.lastFiredAt, now);
  }

  /** Appends one fire record. */
  recordFire(fire: TriggerFire): void {
    this.db
      .prepare('INSERT INTO trigger_fires (pipeline_id, trigger_name, kind, scheduled_at, run_id, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(fire.pipelineId, fire.triggerName, fire.kind, fire.scheduledAt, fire.runId ?? null, fire.reason ?? null, fire.at);
  }

  /** Fire records in the order they were made, optionally of one pipeline (the latest `limit`, default 1000). */
  listFires(filter: { pipelineId?: string; limit?: number } = {}): TriggerFire[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT pipeline_id, trigger_name, kind, scheduled_at, run_id, reason, at, id FROM trigger_fires
        WHERE (@pipelineId IS NULL OR pipeline_id = @pipelineId) ORDER BY id DESC LIMIT @limit) ORDER BY id`,
      )
      .all({ pipelineId: filter.pipelineId ?? null, limit: filter.limit ?? 1000 }) as FireRow[];
    return rows.map(toFire);
  }

  /** The latest fire record of each trigger, keyed `<pipeline>/<trigger>`. */
  latestFires(): Map<string, TriggerFire> {
    const rows = this.db
      .prepare(
        `SELECT pipeline_id, trigger_name, kind, scheduled_at, run_id, reason, at FROM trigger_fires
        WHERE id IN (SELECT max(id) FROM trigger_fires GROUP BY pipeline_id, trigger_name)`,
      )
      .all() as FireRow[];
    return new Map(rows.map((row) => [`${row.pipeline_id}/${row.trigger_name}`, toFire(row)]));
  }

  /** Closes the connection; calling it again does nothing. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toFire(row: FireRow): TriggerFire {
  const fire: TriggerFire = {
    pipelineId: row.pipeline_id,
    triggerName: row.trigger_name,
    kind: row.kind,
    scheduledAt: row.scheduled_at,
    at: row.at,
  };
  if (row.run_id !== null) fire.runId = row.run_id;
  if (row.reason !== null) fire.reason = row.reason;
  return fire;
}
