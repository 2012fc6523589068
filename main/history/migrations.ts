import type { Database } from 'better-sqlite3';
import { UserError } from '../model/errors.ts';
import { OUTPUT_STATS_STEP } from './output-stats-store.ts';

/**
 * Schema step 3. For the run-history export (main/history-export): a gap-free order in which runs finished, the
 * watermark of incremental exports (a counter row, not max(finish_seq) + 1, so pruning the newest runs can never
 * hand a number out twice); runs finished before the upgrade are numbered by their end. For the audit: the OS user.
 */
export const FINISH_ORDER_STEP = `
  CREATE TABLE history_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
  ALTER TABLE runs ADD COLUMN finish_seq INTEGER;
  UPDATE runs SET finish_seq = (
    SELECT count(*) FROM runs AS r
     WHERE r.status <> 'running' AND (coalesce(r.finished_at, r.started_at), r.id) <= (coalesce(runs.finished_at, runs.started_at), runs.id)
  ) WHERE status <> 'running';
  INSERT INTO history_counters (name, value) SELECT 'run_finish', count(*) FROM runs WHERE status <> 'running';
  CREATE INDEX runs_by_finish_seq ON runs (finish_seq) WHERE finish_seq IS NOT NULL;
  CREATE TRIGGER runs_number_finish AFTER UPDATE OF status ON runs
    WHEN OLD.status = 'running' AND NEW.status <> 'running'
  BEGIN
    UPDATE history_counters SET value = value + 1 WHERE name = 'run_finish';
    UPDATE runs SET finish_seq = (SELECT value FROM history_counters WHERE name = 'run_finish') WHERE id = NEW.id;
  END;
  -- Audit: the OS account of the process that ran it, whatever the trigger (a schedule runs as a service account).
  ALTER TABLE runs ADD COLUMN os_user TEXT;
  `;

/**
 * Schema step 5. Dynamic children (`<parent>[<index>]`, main/engine/fan-out.ts) get their parent and index as virtual
 * columns and one index over them, so a page of a fan-out's 100,000 children (in index order, optionally of some
 * statuses) is an index seek instead of a read of every block row of the run. `child_counts` keeps how many children
 * of each parent are in each state, maintained by triggers on block_runs whoever writes it, so a run's overview reads
 * a few rows instead of counting a fan-out. Top-level blocks get a partial index, so an overview never reads children.
 * Nothing is rewritten: virtual columns are computed on read; indexes and counts are built from the rows there.
 */
export const CHILD_INDEX_STEP = `
  ALTER TABLE block_runs ADD COLUMN parent_id TEXT
    GENERATED ALWAYS AS (CASE WHEN block_id LIKE '%]' THEN substr(block_id, 1, instr(block_id, '[') - 1) END) VIRTUAL;
  ALTER TABLE block_runs ADD COLUMN child_index INTEGER
    GENERATED ALWAYS AS (CASE WHEN block_id LIKE '%]'
      THEN CAST(substr(block_id, instr(block_id, '[') + 1, length(block_id) - instr(block_id, '[') - 1) AS INTEGER) END) VIRTUAL;
  CREATE INDEX block_runs_children ON block_runs (run_id, parent_id, child_index, status) WHERE parent_id IS NOT NULL;
  CREATE INDEX block_runs_top_level ON block_runs (run_id, position) WHERE parent_id IS NULL;

  CREATE TABLE child_counts (
    run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    parent_id TEXT NOT NULL,
    status    TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (run_id, parent_id, status)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO child_counts (run_id, parent_id, status, n)
    SELECT run_id, parent_id, status, count(*) FROM block_runs WHERE parent_id IS NOT NULL GROUP BY run_id, parent_id, status;
  CREATE TRIGGER child_counts_on_insert AFTER INSERT ON block_runs WHEN NEW.parent_id IS NOT NULL
  BEGIN
    INSERT INTO child_counts (run_id, parent_id, status, n) VALUES (NEW.run_id, NEW.parent_id, NEW.status, 1)
      ON CONFLICT (run_id, parent_id, status) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER child_counts_on_status AFTER UPDATE OF status ON block_runs
    WHEN NEW.parent_id IS NOT NULL AND OLD.status <> NEW.status
  BEGIN
    UPDATE child_counts SET n = n - 1 WHERE run_id = OLD.run_id AND parent_id = OLD.parent_id AND status = OLD.status;
    INSERT INTO child_counts (run_id, parent_id, status, n) VALUES (NEW.run_id, NEW.parent_id, NEW.status, 1)
      ON CONFLICT (run_id, parent_id, status) DO UPDATE SET n = n + 1;
  END;
  -- An UPDATE, never an insert: when a whole run is deleted its counts may already be gone (cascade order is free).
  CREATE TRIGGER child_counts_on_delete AFTER DELETE ON block_runs WHEN OLD.parent_id IS NOT NULL
  BEGIN
    UPDATE child_counts SET n = n - 1 WHERE run_id = OLD.run_id AND parent_id = OLD.parent_id AND status = OLD.status;
  END;
  `;

/**
 * Schema steps of the run store, applied in order; `PRAGMA user_version` holds how many have run.
 * A released step is never edited: change the schema by appending a step.
 * Tables are STRICT so a wrong type is an error instead of a silently stored string.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id             TEXT PRIMARY KEY,
    pipeline_id    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    trigger_kind   TEXT NOT NULL,
    trigger_by     TEXT,
    scope_json     TEXT NOT NULL,
    variables_json TEXT NOT NULL,
    pipeline_hash  TEXT NOT NULL,
    code_hash      TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    duration_ms    INTEGER,
    error_json     TEXT,
    owner_id       TEXT NOT NULL,
    owner_pid      INTEGER NOT NULL,
    owner_host     TEXT NOT NULL,
    -- NULL until the first heartbeat: orphan checks fall back to started_at (Airflow's NULL bug).
    heartbeat_at   INTEGER
  ) STRICT;
  CREATE INDEX runs_by_time ON runs (started_at DESC, id DESC);
  CREATE INDEX runs_by_pipeline ON runs (pipeline_id, started_at DESC, id DESC);
  CREATE INDEX runs_by_status ON runs (status, started_at DESC, id DESC);

  CREATE TABLE block_runs (
    run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    block_id      TEXT NOT NULL,
    -- Index of the block in the run's plan (run.started's blocks), the order resume follows.
    position      INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'queued', 'running', 'succeeded', 'failed', 'skipped',
                                                  'cancelled', 'upstream_failed', 'interrupted')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    started_at    INTEGER,
    finished_at   INTEGER,
    duration_ms   INTEGER,
    error_json    TEXT,
    tests_json    TEXT,
    skip_reason   TEXT,
    -- Only the latest block.progressed event: progress is too chatty to keep row by row.
    progress_json TEXT,
    PRIMARY KEY (run_id, block_id)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE attempts (
    run_id         TEXT NOT NULL,
    block_id       TEXT NOT NULL,
    attempt        INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    error_json     TEXT,
    retry_delay_ms INTEGER,
    PRIMARY KEY (run_id, block_id, attempt),
    FOREIGN KEY (run_id, block_id) REFERENCES block_runs (run_id, block_id) ON DELETE CASCADE
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE logs (
    id       INTEGER PRIMARY KEY,
    run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    -- NULL for run-level lines; otherwise a block of the run (checked by the foreign key below).
    block_id TEXT,
    level    TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    message  TEXT NOT NULL,
    at       INTEGER NOT NULL,
    FOREIGN KEY (run_id, block_id) REFERENCES block_runs (run_id, block_id) ON DELETE CASCADE
  ) STRICT;
  -- Both indexes end in the rowid, so "after id N, in order" is an index range scan.
  CREATE INDEX logs_by_run ON logs (run_id);
  CREATE INDEX logs_by_block ON logs (run_id, block_id);

  -- One row per metric (rows_in, rows_out, bytes, duration_ms, …): new metrics need no migration.
  CREATE TABLE metrics (
    run_id   TEXT NOT NULL,
    block_id TEXT NOT NULL,
    name     TEXT NOT NULL,
    value    REAL NOT NULL,
    PRIMARY KEY (run_id, block_id, name),
    FOREIGN KEY (run_id, block_id) REFERENCES block_runs (run_id, block_id) ON DELETE CASCADE
  ) STRICT, WITHOUT ROWID;
  `,
  // Schedules (main/orchestration/trigger-state.ts): where each trigger's schedule stands, and what each fire did.
  `
  CREATE TABLE trigger_state (
    pipeline_id   TEXT NOT NULL,
    trigger_name  TEXT NOT NULL,
    -- The cron, time zone and enabled flag last_fired_at was kept for: a different one restarts the schedule from now.
    signature     TEXT NOT NULL,
    -- Scheduled time of the latest fire handled (run, skipped or dropped by catch_up), so a restart neither repeats nor loses one.
    last_fired_at INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (pipeline_id, trigger_name)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE trigger_fires (
    id            INTEGER PRIMARY KEY,
    pipeline_id   TEXT NOT NULL,
    trigger_name  TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('trigger.fired', 'trigger.skipped', 'trigger.missed', 'trigger.failed')),
    scheduled_at  INTEGER NOT NULL,
    -- No foreign key: a fire that failed before its run was recorded has no run, and pruning runs keeps this audit.
    run_id        TEXT,
    reason        TEXT,
    at            INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX trigger_fires_by_trigger ON trigger_fires (pipeline_id, trigger_name, scheduled_at);
  `,
  // Run finish order and OS user: exported above so its upgrade of an existing history can be tested.
  FINISH_ORDER_STEP,
  // Block output stats, the drift baseline (main/history/output-stats-store.ts).
  OUTPUT_STATS_STEP,
  // Dynamic children by parent, index and status: paged without reading a whole fan-out.
  CHILD_INDEX_STEP,
];

/** The schema version this build of Pipewright writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The schema version just before `step` ran (its position among the steps): for tests that rebuild an older history. */
export function versionBefore(step: string): number {
  const index = MIGRATIONS.indexOf(step);
  if (index < 0) throw new Error('not a schema step of the run store');
  return index;
}

/**
 * Brings the database up to SCHEMA_VERSION. Safe when several processes open a fresh file at once: the steps
 * run in one IMMEDIATE transaction that re-reads the version after taking the write lock.
 * Throws a UserError naming `file` when it was written by a newer Pipewright.
 */
export function migrate(db: Database, file: string): void {
  if (readVersion(db, file) === SCHEMA_VERSION) return;
  const apply = db.transaction(() => {
    const version = readVersion(db, file);
    for (const step of MIGRATIONS.slice(version)) db.exec(step);
    // user_version lives in the file header and is written by this transaction, so a crash leaves no half-step.
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  apply.immediate();
}

function readVersion(db: Database, file: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new UserError(
      `the run history was written by a newer Pipewright (schema ${version}; this version reads up to ${SCHEMA_VERSION}): upgrade Pipewright, or move the file away to start a new history`,
      { file },
    );
  }
  return version;
}
