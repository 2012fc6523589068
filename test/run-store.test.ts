import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { OperationalError, UserError, type ErrorShape } from '../main/model/errors.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { LEASE_MS, RunStore } from '../main/history/run-store.ts';

const repo = path.resolve(import.meta.dirname, '..');
const root = mkdtempSync(path.join(os.tmpdir(), 'pw-'));
const storeFiles: string[] = [];
let projects = 0;
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh history file path in a folder that does not exist yet (open must create it). */
function newStoreFile(): string {
  const file = path.join(root, `project-${projects++}`, '.pipewright', 'history.sqlite');
  storeFiles.push(file);
  return file;
}

function withRawConnection<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const T0 = Date.now() - 10_000;
const userError: ErrorShape = {
  kind: 'user',
  message: "column 'fare' not found",
  place: { block: 'clean', file: 'blocks/clean.sql', line: 3, column: 7 },
  retryable: false,
};
const flakyError: ErrorShape = { kind: 'operational', message: 'HTTP 503 from data.example', retryable: true };

/** A failed run of six blocks: a retried success, a failure, skips of both kinds and two cancellations. */
function failedRunEvents(runId: string, t0 = T0): RunEvent[] {
  const blocks = ['extract', 'clean', 'enrich', 'report', 'notify', 'archive'];
  const at = (ms: number) => t0 + ms;
  return [
    {
      type: 'run.started',
      runId,
      at: at(0),
      pipelineId: 'taxi',
      scope: { kind: 'pipeline' },
      blocks,
      trigger: { kind: 'cli', by: 'ada' },
      variables: { ds: '2025-01-01', limit: 10 },
      pipelineHash: 'ph1',
      codeHash: 'ch1',
    },
    ...blocks.map((blockId): RunEvent => ({ type: 'block.queued', runId, blockId, at: at(1) })),
    { type: 'block.started', runId, blockId: 'extract', attempt: 1, at: at(10) },
    { type: 'block.progressed', runId, blockId: 'extract', phase: 'download', done: 512, total: 2048, unit: 'bytes', at: at(15) },
    { type: 'log.written', runId, blockId: 'extract', level: 'debug', message: 'GET https://data.example/taxi.csv', at: at(16) },
    { type: 'block.retrying', runId, blockId: 'extract', attempt: 1, delayMs: 250, error: flakyError, at: at(20) },
    { type: 'block.started', runId, blockId: 'extract', attempt: 2, at: at(270) },
    { type: 'log.written', runId, blockId: 'extract', level: 'warn', message: 'slow server', at: at(275) },
    {
      type: 'block.progressed',
      runId,
      blockId: 'extract',
      phase: 'download',
      done: 2048,
      total: 2048,
      unit: 'bytes',
      rate: 4096,
      at: at(280),
    },
    {
      type: 'block.succeeded',
      runId,
      blockId: 'extract',
      attempt: 2,
      durationMs: 30,
      rowsIn: 0,
      rowsOut: 100,
      bytes: 2048,
      tests: [{ name: 'not_empty', passed: true }],
      at: at(300),
    },
    { type: 'block.started', runId, blockId: 'clean', attempt: 1, at: at(310) },
    { type: 'log.written', runId, blockId: 'clean', level: 'error', message: "column 'fare' not found", at: at(315) },
    { type: 'block.failed', runId, blockId: 'clean', attempt: 1, durationMs: 10, error: userError, at: at(320) },
    { type: 'block.skipped', runId, blockId: 'enrich', status: 'upstream_failed', reason: 'upstream block clean failed', at: at(321) },
    { type: 'block.started', runId, blockId: 'report', attempt: 1, at: at(322) },
    { type: 'block.cancelled', runId, blockId: 'report', at: at(330) },
    { type: 'block.skipped', runId, blockId: 'notify', status: 'skipped', reason: 'no recipients configured', at: at(331) },
    { type: 'block.cancelled', runId, blockId: 'archive', at: at(332) },
    { type: 'log.written', runId, blockId: null, level: 'info', message: 'run failed: 1 block failed', at: at(333) },
    { type: 'run.finished', runId, status: 'failed', durationMs: 340, error: userError, at: at(340) },
  ];
}

function succeededRunEvents(runId: string, pipelineId: string, t0: number): RunEvent[] {
  return [
    {
      type: 'run.started',
      runId,
      at: t0,
      pipelineId,
      scope: { kind: 'block', block: 'only' },
      blocks: ['only'],
      trigger: { kind: 'schedule' },
      variables: {},
      pipelineHash: 'ph',
      codeHash: 'ch',
    },
    { type: 'block.started', runId, blockId: 'only', attempt: 1, at: t0 + 1 },
    { type: 'block.succeeded', runId, blockId: 'only', attempt: 1, durationMs: 4, rowsOut: 7, at: t0 + 5 },
    { type: 'run.finished', runId, status: 'succeeded', durationMs: 5, at: t0 + 5 },
  ];
}

function recordAll(store: RunStore, events: RunEvent[]): void {
  for (const event of events) store.record(event);
}

test('folds a failed run with retries, skips and cancellations into blocks, attempts and metrics', () => {
  const file = newStoreFile();
  const store = RunStore.open(file);
  recordAll(store, failedRunEvents('r_fold'));
  const run = store.getRun('r_fold');
  assert.ok(run);
  assert.equal(run.status, 'failed');
  assert.deepEqual(run.trigger, { kind: 'cli', by: 'ada' });
  assert.deepEqual(run.scope, { kind: 'pipeline' });
  assert.deepEqual(run.variables, { ds: '2025-01-01', limit: 10 });
  assert.equal(run.pipelineHash, 'ph1');
  assert.equal(run.codeHash, 'ch1');
  assert.deepEqual([run.startedAt, run.finishedAt, run.durationMs], [T0, T0 + 340, 340]);
  assert.deepEqual(run.error, userError);
  assert.deepEqual(
    run.blocks.map((b) => [b.blockId, b.status, b.attempts]),
    [
      ['extract', 'succeeded', 2],
      ['clean', 'failed', 1],
      ['enrich', 'upstream_failed', 0],
      ['report', 'cancelled', 1],
      ['notify', 'skipped', 0],
      ['archive', 'cancelled', 0],
    ],
  );

  const [extract, clean, enrich, report, , archive] = run.blocks;
  assert.ok(extract && clean && enrich && report && archive);
  assert.deepEqual(extract.attemptsDetail, [
    { attempt: 1, status: 'failed', startedAt: T0 + 10, finishedAt: T0 + 20, error: flakyError, retryDelayMs: 250 },
    { attempt: 2, status: 'succeeded', startedAt: T0 + 270, finishedAt: T0 + 300 },
  ]);
  assert.deepEqual([extract.startedAt, extract.finishedAt, extract.durationMs], [T0 + 10, T0 + 300, 290]);
  assert.deepEqual([extract.rowsIn, extract.rowsOut, extract.bytes], [0, 100, 2048]);
  assert.deepEqual(extract.tests, [{ name: 'not_empty', passed: true }]);
  assert.equal(extract.error, undefined);
  assert.deepEqual(extract.progress, { phase: 'download', done: 2048, total: 2048, unit: 'bytes', rate: 4096, at: T0 + 280 });

  assert.deepEqual(clean.error, userError);
  assert.deepEqual(clean.attemptsDetail, [{ attempt: 1, status: 'failed', startedAt: T0 + 310, finishedAt: T0 + 320, error: userError }]);
  assert.deepEqual([clean.rowsOut, clean.bytes], [null, null]);
  assert.equal(enrich.skipReason, 'upstream block clean failed');
  assert.deepEqual([enrich.startedAt, enrich.durationMs], [null, null]);
  assert.deepEqual(
    report.attemptsDetail.map((a) => [a.status, a.finishedAt]),
    [['cancelled', T0 + 330]],
  );
  assert.deepEqual([archive.finishedAt, archive.attemptsDetail], [T0 + 332, []]);

  const metrics = withRawConnection(file, (db) =>
    db.prepare("SELECT block_id, name, value FROM metrics WHERE run_id = 'r_fold' ORDER BY block_id, name").all(),
  );
  assert.deepEqual(metrics, [
    { block_id: 'clean', name: 'duration_ms', value: 10 },
    { block_id: 'extract', name: 'bytes', value: 2048 },
    { block_id: 'extract', name: 'duration_ms', value: 30 },
    { block_id: 'extract', name: 'rows_in', value: 0 },
    { block_id: 'extract', name: 'rows_out', value: 100 },
  ]);
  assert.deepEqual(store.blocksToResume('r_fold'), ['clean', 'enrich', 'report', 'archive']);
  store.close();
});

test('filters logs by block, lowest level, id and limit, keeping run-level lines', () => {
  const store = RunStore.open(newStoreFile());
  recordAll(store, failedRunEvents('r_logs'));
  const all = store.getLogs('r_logs');
  // The block's own lines, and one for each retry, failure and skip, in the order they happened.
  assert.deepEqual(
    all.map((l) => [l.blockId, l.level, l.message]),
    [
      ['extract', 'debug', 'GET https://data.example/taxi.csv'],
      ['extract', 'warn', `attempt 1 failed: ${flakyError.message}; retrying in 0.3 s`],
      ['extract', 'warn', 'slow server'],
      ['clean', 'error', "column 'fare' not found"],
      ['clean', 'error', "failed: blocks/clean.sql:3:7: column 'fare' not found"],
      ['enrich', 'info', 'skipped: upstream block clean failed'],
      ['notify', 'info', 'skipped: no recipients configured'],
      [null, 'info', 'run failed: 1 block failed'],
    ],
  );
  assert.deepEqual(
    all.map((l) => l.at),
    [T0 + 16, T0 + 20, T0 + 275, T0 + 315, T0 + 320, T0 + 321, T0 + 331, T0 + 333],
  );
  assert.ok(all.every((l) => l.runId === 'r_logs'));
  assert.deepEqual(
    store.getLogs('r_logs', { blockId: 'extract' }).map((l) => l.message),
    ['GET https://data.example/taxi.csv', `attempt 1 failed: ${flakyError.message}; retrying in 0.3 s`, 'slow server'],
  );
  assert.deepEqual(
    store.getLogs('r_logs', { level: 'warn' }).map((l) => l.level),
    ['warn', 'warn', 'error', 'error'],
  );
  assert.deepEqual(
    store.getLogs('r_logs', { blockId: 'extract', level: 'info' }).map((l) => l.message),
    [`attempt 1 failed: ${flakyError.message}; retrying in 0.3 s`, 'slow server'],
  );
  assert.deepEqual(
    store.getLogs('r_logs', { afterId: all[2]?.id, limit: 1 }).map((l) => l.message),
    ["column 'fare' not found"],
  );
  assert.deepEqual(store.getLogs('no_such_run'), []);
  store.close();
});

test('lists runs newest first, by pipeline and status, with limit and offset', () => {
  const store = RunStore.open(newStoreFile());
  const now = Date.now();
  // Recorded out of start order on purpose: the list sorts by start time, not by insertion.
  recordAll(store, succeededRunEvents('r_b', 'taxi', now - 3000));
  recordAll(store, succeededRunEvents('r_a', 'weather', now - 5000));
  recordAll(store, failedRunEvents('r_c', now - 2000));
  recordAll(store, succeededRunEvents('r_d', 'taxi', now - 1000).slice(0, 2));
  assert.deepEqual(
    store.listRuns().map((r) => r.id),
    ['r_d', 'r_c', 'r_b', 'r_a'],
  );
  assert.deepEqual(
    store.listRuns({ pipelineId: 'taxi' }).map((r) => r.id),
    ['r_d', 'r_c', 'r_b'],
  );
  assert.deepEqual(
    store.listRuns({ status: 'succeeded' }).map((r) => r.id),
    ['r_b', 'r_a'],
  );
  assert.deepEqual(
    store.listRuns({ pipelineId: 'taxi', status: 'running' }).map((r) => r.id),
    ['r_d'],
  );
  assert.deepEqual(
    store.listRuns({ limit: 2, offset: 1 }).map((r) => r.id),
    ['r_c', 'r_b'],
  );
  const [running] = store.listRuns({ status: 'running' });
  assert.deepEqual(running, {
    id: 'r_d',
    pipelineId: 'taxi',
    status: 'running',
    trigger: { kind: 'schedule' },
    scope: { kind: 'block', block: 'only' },
    startedAt: now - 1000,
    finishedAt: null,
    durationMs: null,
  });
  store.close();
});

test('keeps the history of a failed run and earlier runs across close and reopen', () => {
  const file = newStoreFile();
  const first = RunStore.open(file);
  recordAll(first, succeededRunEvents('r_ok', 'taxi', T0 - 60_000));
  recordAll(first, failedRunEvents('r_failed'));
  const before = { runs: first.listRuns(), ok: first.getRun('r_ok'), failed: first.getRun('r_failed'), logs: first.getLogs('r_failed') };
  first.close();
  const reopened = RunStore.open(file);
  assert.deepEqual(
    { runs: reopened.listRuns(), ok: reopened.getRun('r_ok'), failed: reopened.getRun('r_failed'), logs: reopened.getLogs('r_failed') },
    before,
  );
  assert.equal(before.ok?.blocks[0]?.rowsOut, 7);
  assert.deepEqual(reopened.blocksToResume('r_ok'), []);
  reopened.close();
});

test('uses WAL mode and leaves an empty or no WAL file after close', () => {
  const file = newStoreFile();
  const store = RunStore.open(file);
  recordAll(store, failedRunEvents('r_wal'));
  assert.equal(
    withRawConnection(file, (db) => db.pragma('journal_mode', { simple: true })),
    'wal',
  );
  assert.ok(existsSync(`${file}-wal`), 'an open store writes through a WAL file');
  store.close();
  assert.ok(!existsSync(`${file}-wal`) || statSync(`${file}-wal`).size === 0);
  store.close(); // a second close is harmless
});

test('rejects events the engine could only send by mistake, leaving the store unchanged', () => {
  const store = RunStore.open(newStoreFile());
  recordAll(store, failedRunEvents('r_bug').slice(0, 3));
  assert.throws(() => store.record({ type: 'block.started', runId: 'r_bug', blockId: 'ghost', attempt: 1, at: T0 }), /FOREIGN KEY/);
  assert.throws(
    () => store.record({ type: 'log.written', runId: 'r_bug', blockId: 'ghost', level: 'info', message: 'x', at: T0 }),
    /FOREIGN KEY/,
  );
  assert.throws(
    () => store.record({ type: 'block.succeeded', runId: 'r_bug', blockId: 'extract', attempt: 1, durationMs: 1, at: T0 }),
    /attempt 1 of block extract \(run r_bug\) ended but never started/,
  );
  assert.throws(
    () => store.record({ type: 'block.skipped', runId: 'r_bug', blockId: 'ghost', status: 'skipped', reason: 'x', at: T0 }),
    /block ghost is not part of run r_bug/,
  );
  assert.throws(
    () => store.record({ type: 'run.finished', runId: 'r_nope', status: 'succeeded', durationMs: 1, at: T0 }),
    /unknown run r_nope/,
  );
  assert.equal(store.getRun('r_bug')?.blocks.find((b) => b.blockId === 'extract')?.status, 'queued');
  assert.deepEqual(store.getLogs('r_bug'), []);
  assert.throws(() => store.blocksToResume('r_nope'), UserError);
  store.close();
});

test('interrupts a run that never heartbeated once its start is older than the lease, but not a heartbeating one', () => {
  const file = newStoreFile();
  const owner = RunStore.open(file, { ownerId: 'owner-a' });
  const old = Date.now() - 2 * LEASE_MS;
  recordAll(owner, succeededRunEvents('r_silent', 'taxi', old).slice(0, 2));
  recordAll(owner, succeededRunEvents('r_beating', 'taxi', old).slice(0, 2));
  owner.heartbeat('r_beating');
  const other = RunStore.open(file, { ownerId: 'owner-b' });
  const silent = other.getRun('r_silent');
  assert.equal(silent?.status, 'interrupted');
  assert.match(silent?.error?.message ?? '', /stopped renewing its lease/);
  assert.deepEqual(
    silent?.blocks.map((b) => [b.status, b.attemptsDetail[0]?.status]),
    [['interrupted', 'interrupted']],
  );
  assert.equal(other.getRun('r_beating')?.status, 'running');
  assert.deepEqual(other.markOrphanedRuns(), []);
  other.close();
  owner.close();
});

test('a store reopened with the same owner id still interrupts the runs its crashed predecessor left', () => {
  const file = newStoreFile();
  const crashed = RunStore.open(file, { ownerId: 'desktop' });
  recordAll(crashed, succeededRunEvents('r_left', 'taxi', Date.now() - 2 * LEASE_MS).slice(0, 2));
  crashed.close(); // closing records nothing: the run stays `running`, as after a crash
  const restarted = RunStore.open(file, { ownerId: 'desktop' });
  assert.equal(restarted.getRun('r_left')?.status, 'interrupted');
  recordAll(restarted, succeededRunEvents('r_own', 'taxi', Date.now() - 2 * LEASE_MS).slice(0, 2));
  assert.deepEqual(restarted.markOrphanedRuns(), [], 'its own running run is alive, however old');
  restarted.close();
});

test('judges a run of another host by its lease alone', () => {
  const file = newStoreFile();
  const store = RunStore.open(file);
  recordAll(store, succeededRunEvents('r_remote_fresh', 'taxi', Date.now()).slice(0, 2));
  recordAll(store, succeededRunEvents('r_remote_stale', 'taxi', Date.now()).slice(0, 2));
  store.close();
  // pid 2^22+1 is above Linux's pid_max, so it is dead here: only the lease may matter for another host.
  withRawConnection(file, (db) => {
    db.prepare("UPDATE runs SET owner_id = 'remote', owner_host = 'another-host', owner_pid = 4194305, heartbeat_at = ?").run(Date.now());
    db.prepare("UPDATE runs SET heartbeat_at = ? WHERE id = 'r_remote_stale'").run(Date.now() - LEASE_MS - 1000);
  });
  const reopened = RunStore.open(file);
  assert.equal(reopened.getRun('r_remote_fresh')?.status, 'running');
  assert.equal(reopened.getRun('r_remote_stale')?.status, 'interrupted');
  reopened.close();
});

test(
  "marks a killed process's run and running block interrupted, keeping every event recorded before the kill",
  { timeout: 30_000 },
  async () => {
    const file = newStoreFile();
    const child = await startRunOwner(file, 'r_crash');
    child.kill('SIGKILL');
    await exited(child);
    const store = RunStore.open(file);
    const run = store.getRun('r_crash');
    assert.ok(run);
    assert.equal(run.status, 'interrupted');
    assert.match(run.error?.message ?? '', new RegExp(`pid ${child.pid}.*exited before the run finished`));
    assert.notEqual(run.finishedAt, null);
    assert.deepEqual(
      run.blocks.map((b) => [b.blockId, b.status]),
      [
        ['extract', 'succeeded'],
        ['clean', 'interrupted'],
        ['report', 'interrupted'],
      ],
    );
    const [extract, clean, report] = run.blocks;
    assert.equal(extract?.rowsOut, 3);
    assert.deepEqual(
      clean?.attemptsDetail.map((a) => a.status),
      ['interrupted'],
    );
    assert.equal(clean?.error?.kind, 'operational');
    assert.equal(report?.error, undefined, 'a block that never started has nothing to blame');
    assert.deepEqual(
      store.getLogs('r_crash').map((l) => l.message),
      ['read 3 rows', 'cleaning step 1', 'cleaning step 2', 'cleaning step 3'],
    );
    assert.deepEqual(store.blocksToResume('r_crash'), ['clean', 'report']);
    store.close();
  },
);

test(
  'leaves the run of a live process alone, reading it while that process writes, and interrupts it once the process dies',
  { timeout: 30_000 },
  async () => {
    const file = newStoreFile();
    const child = await startRunOwner(file, 'r_live');
    const store = RunStore.open(file);
    try {
      const run = store.getRun('r_live');
      assert.equal(run?.status, 'running');
      assert.deepEqual(
        run?.blocks.map((b) => b.status),
        ['succeeded', 'running', 'queued'],
      );
      assert.equal(store.getLogs('r_live').length, 4);
      assert.deepEqual(store.markOrphanedRuns(), []);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    assert.deepEqual(store.markOrphanedRuns(), ['r_live']);
    assert.equal(store.getRun('r_live')?.status, 'interrupted');
    store.close();
  },
);

test('two stores open on one file read and write concurrently', () => {
  const file = newStoreFile();
  const a = RunStore.open(file, { ownerId: 'a' });
  const b = RunStore.open(file, { ownerId: 'b' });
  const now = Date.now();
  const events = failedRunEvents('r_from_a', now);
  recordAll(a, events.slice(0, 10));
  assert.equal(b.getRun('r_from_a')?.status, 'running', "b sees a's committed events at once");
  recordAll(b, succeededRunEvents('r_from_b', 'weather', now + 1));
  recordAll(a, events.slice(10));
  assert.deepEqual(
    a.listRuns().map((r) => [r.id, r.status]),
    [
      ['r_from_b', 'succeeded'],
      ['r_from_a', 'failed'],
    ],
  );
  assert.deepEqual(b.getRun('r_from_a'), a.getRun('r_from_a'));
  a.close();
  assert.equal(b.getLogs('r_from_a').length, 8, 'closing one store (and its checkpoint) does not disturb the other');
  b.close();
});

test('refuses a file that is not a database, or one written by a newer Pipewright, naming the file', () => {
  const garbage = newStoreFile();
  mkdirSync(path.dirname(garbage), { recursive: true });
  writeFileSync(garbage, 'this is not an SQLite database, just text '.repeat(100));
  assert.throws(
    () => RunStore.open(garbage),
    (error: unknown) => error instanceof OperationalError && error.place.file === garbage && /not a database/.test(error.message),
  );
  storeFiles.pop(); // it is not a database, so the integrity check below must skip it

  const newer = newStoreFile();
  RunStore.open(newer).close();
  withRawConnection(newer, (db) => db.pragma('user_version = 99'));
  assert.throws(
    () => RunStore.open(newer),
    (error: unknown) => error instanceof UserError && error.place.file === newer && /newer Pipewright \(schema 99/.test(error.message),
  );
});

test('every store file written above passes integrity_check and foreign_key_check', () => {
  assert.ok(storeFiles.length >= 10);
  for (const file of storeFiles) {
    withRawConnection(file, (db) => {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', file);
      assert.deepEqual(db.pragma('foreign_key_check'), [], file);
    });
  }
});

/** Starts test/helpers/crash-child.ts, which records part of `runId` and stays alive; resolves once it printed "ready". */
function startRunOwner(file: string, runId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'test', 'helpers', 'crash-child.ts'), file, runId], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) resolve(child);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`crash child exited before "ready" (${code ?? signal}): ${stderr}`)));
  });
}

/** Resolves once the child is reaped: before that a killed child is a zombie and still answers `kill(pid, 0)`. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
