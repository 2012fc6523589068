import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import { Scheduler } from '../main/orchestration/scheduler.ts';
import type { SchedulerActivity } from '../main/orchestration/scheduler-activity.ts';
import { cronClock } from '../main/orchestration/cron-times.ts';
import { UserError } from '../main/model/errors.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { ManualClock } from './helpers/manual-clock.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A project with one pipeline `p` (one test_rows block) carrying `triggers`. */
function projectWith(triggers: unknown[], block: Record<string, unknown> = { rows: 1 }): TempProject {
  const temp = createTempProject();
  writePipeline(temp, triggers, block);
  return temp;
}

function writePipeline(temp: TempProject, triggers: unknown[], block: Record<string, unknown> = { rows: 1 }): void {
  temp.writePipeline('p', {
    variables: { who: 'nobody' },
    triggers,
    blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { label: '{{ who }}', ...block } }],
  });
}

interface Session {
  open: OpenProject;
  scheduler: Scheduler;
  clock: ManualClock;
  activity: SchedulerActivity[];
  /** Advances the clock, letting every fire's run finish before the next timer. */
  advanceTo(to: string | number): Promise<void>;
  close(): Promise<void>;
}

async function startSession(dir: string, start: string | number, opts: { settleRuns?: boolean } = {}): Promise<Session> {
  const open = await openProject(dir, { kinds: createTestRegistry() });
  const clock = new ManualClock(start);
  const activity: SchedulerActivity[] = [];
  const scheduler = new Scheduler({ open, clock, rescanMs: 12 * HOUR, onActivity: (a) => activity.push(a) });
  await scheduler.start();
  const settle = opts.settleRuns === false ? () => scheduler.settled() : () => scheduler.idle();
  return {
    open,
    scheduler,
    clock,
    activity,
    advanceTo: (to) => clock.advanceTo(to, settle),
    close: async () => {
      await scheduler.stop();
      await open.close();
    },
  };
}

const scheduledRuns = (open: OpenProject) =>
  open.store
    .listRuns({ pipelineId: 'p', limit: 1000 })
    .reverse()
    .map((r) => open.store.getRun(r.id))
    .filter((r) => r !== undefined);
const executionDates = (open: OpenProject) => scheduledRuns(open).map((r) => String(r.variables.execution_date));

test("fires a daily cron at its instant, with execution_date the scheduled time and the trigger's variables", async () => {
  const temp = projectWith([{ name: 'daily', type: 'schedule', cron: '0 5 * * *', variables: { who: 'the-schedule' } }]);
  const s = await startSession(temp.dir, '2026-01-10T04:59:00Z');
  try {
    await s.advanceTo('2026-01-10T04:59:59.999Z');
    assert.equal(scheduledRuns(s.open).length, 0, 'nothing before 05:00');
    await s.advanceTo('2026-01-10T05:00:00Z');
    const [run] = scheduledRuns(s.open);
    assert.equal(run?.status, 'succeeded');
    assert.deepEqual(run?.trigger, { kind: 'schedule', by: 'daily' });
    assert.equal(run?.variables.ds, '2026-01-10');
    assert.equal(run?.variables.who, 'the-schedule');
    assert.match(String(run?.variables.execution_date), /^2026-01-10T05:00:00/);
    await s.advanceTo('2026-01-12T04:00:00Z');
    assert.deepEqual(
      executionDates(s.open).map((d) => d.slice(0, 16)),
      ['2026-01-10T05:00', '2026-01-11T05:00'],
    );
    const fired = s.activity.filter((a) => a.type === 'fired');
    assert.equal(fired.length, 2);
    assert.ok(fired.every((a) => a.type === 'fired' && a.startLatencyMs >= 0 && !a.isLate));
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('reads the cron in its time zone across both DST changes (America/New_York, 02:30 daily)', async () => {
  const clock = cronClock('30 2 * * *', 'America/New_York');
  const times = (from: string, n: number) => clock.nextTimes(n, Date.parse(from)).map(iso);
  // 2026-03-08: 02:30 does not exist (clocks jump 02:00 → 03:00); the fire moves to 03:00 EDT, once.
  assert.deepEqual(times('2026-03-06T12:00:00Z', 3), ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
  // 2026-11-01: 01:00–02:00 happens twice; 02:30 happens once, in EST.
  assert.deepEqual(times('2026-10-30T12:00:00Z', 3), ['2026-10-31T06:30:00.000Z', '2026-11-01T07:30:00.000Z', '2026-11-02T07:30:00.000Z']);
  const repeated = cronClock('30 1 * * *', 'America/New_York').nextTimes(3, Date.parse('2026-10-31T12:00:00Z')).map(iso);
  assert.deepEqual(
    repeated,
    ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z', '2026-11-03T06:30:00.000Z'],
    'the repeated 01:30 fires once',
  );

  const temp = projectWith([{ name: 'ny', type: 'schedule', cron: '30 2 * * *', timezone: 'America/New_York' }]);
  const spring = await startSession(temp.dir, '2026-03-06T12:00:00Z');
  await spring.advanceTo('2026-03-09T12:00:00Z');
  await spring.close();
  // Closed from March to October: catch_up skip drops those fires; the autumn change is then lived through.
  const autumn = await startSession(temp.dir, '2026-10-30T12:00:00Z');
  try {
    await autumn.advanceTo('2026-11-02T12:00:00Z');
    const dates = executionDates(autumn.open).map((d) => d.slice(0, 19));
    assert.deepEqual(dates, [
      '2026-03-07T07:30:00',
      '2026-03-08T07:00:00',
      '2026-03-09T06:30:00',
      '2026-10-31T06:30:00',
      '2026-11-01T07:30:00',
      '2026-11-02T07:30:00',
    ]);
  } finally {
    await autumn.close();
    temp.cleanup();
  }
});

/** Registers the trigger at 2026-01-10 04:00, closes, and reopens four days later: the 10th–13th 05:00 fires were missed. */
async function missedFourFires(catchUp: string): Promise<{ temp: TempProject; s: Session }> {
  const temp = projectWith([{ name: 'daily', type: 'schedule', cron: '0 5 * * *', catch_up: catchUp }]);
  const first = await startSession(temp.dir, '2026-01-10T04:00:00Z');
  await first.close();
  return { temp, s: await startSession(temp.dir, '2026-01-14T04:00:00Z') };
}

test('catch_up: skip runs none of the fires missed while closed, records them, and fires on time again', async () => {
  const { temp, s } = await missedFourFires('skip');
  try {
    assert.equal(scheduledRuns(s.open).length, 0);
    const [missed] = s.scheduler.fires('p');
    assert.equal(missed?.kind, 'trigger.missed');
    assert.match(missed?.reason ?? '', /missed 4 fires \(2026-01-10T05:00:00Z to 2026-01-13T05:00:00Z\)/);
    await s.advanceTo('2026-01-14T05:00:00Z');
    assert.deepEqual(
      executionDates(s.open).map((d) => d.slice(0, 10)),
      ['2026-01-14'],
    );
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('catch_up: latest runs once, for the latest missed time', async () => {
  const { temp, s } = await missedFourFires('latest');
  try {
    await s.scheduler.idle();
    assert.deepEqual(
      executionDates(s.open).map((d) => d.slice(0, 16)),
      ['2026-01-13T05:00'],
    );
    assert.ok(s.activity.some((a) => a.type === 'fired' && a.isLate));
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('catch_up: all runs every missed time, oldest first, one after another', async () => {
  const { temp, s } = await missedFourFires('all');
  try {
    await s.scheduler.idle();
    const runs = scheduledRuns(s.open);
    assert.deepEqual(
      runs.map((r) => String(r.variables.ds)),
      ['2026-01-10', '2026-01-11', '2026-01-12', '2026-01-13'],
    );
    for (let i = 1; i < runs.length; i++) assert.ok((runs[i]?.startedAt ?? 0) >= (runs[i - 1]?.finishedAt ?? Infinity), 'sequential');
    await s.advanceTo('2026-01-14T05:00:00Z');
    assert.equal(scheduledRuns(s.open).length, 5);
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('catch_up: all is bounded: past the limit only the latest missed fires run, with a warning', async () => {
  const temp = projectWith([{ name: 'daily', type: 'schedule', cron: '0 5 * * *', catch_up: 'all' }]);
  const first = await startSession(temp.dir, '2026-01-01T04:00:00Z');
  await first.close();
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const activity: SchedulerActivity[] = [];
  const scheduler = new Scheduler({
    open,
    clock: new ManualClock('2026-01-06T04:00:00Z'),
    maxCatchUp: 2,
    onActivity: (a) => activity.push(a),
  });
  try {
    await scheduler.start();
    await scheduler.idle();
    assert.deepEqual(
      executionDates(open).map((d) => d.slice(0, 10)),
      ['2026-01-04', '2026-01-05'],
    );
    assert.ok(
      activity.some((a) => a.type === 'problem' && /missed more than 2 fires; catch_up: all runs only the latest 2/.test(a.message)),
    );
  } finally {
    await scheduler.stop();
    await open.close();
    temp.cleanup();
  }
});

test('a disabled trigger never fires, and enabling it again does not fire the times it was off', async () => {
  const temp = projectWith([{ name: 'daily', type: 'schedule', cron: '0 5 * * *', catch_up: 'all', enabled: false }]);
  const s = await startSession(temp.dir, '2026-01-10T04:00:00Z');
  try {
    await s.advanceTo('2026-01-12T04:00:00Z');
    assert.equal(scheduledRuns(s.open).length, 0);
    writePipeline(temp, [{ name: 'daily', type: 'schedule', cron: '0 5 * * *', catch_up: 'all' }]);
    await s.scheduler.rescan();
    assert.equal(scheduledRuns(s.open).length, 0, 'enabling is an edit: it fires nothing by itself');
    await s.advanceTo('2026-01-12T05:00:00Z');
    assert.deepEqual(
      executionDates(s.open).map((d) => d.slice(0, 10)),
      ['2026-01-12'],
    );
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('a fire while the previous run still runs is recorded as skipped (skip_if_running), not queued', async () => {
  const temp = projectWith([{ name: 'minutely', type: 'schedule', cron: '* * * * *' }], { rows: 1, delay_ms: 1500 });
  const s = await startSession(temp.dir, '2026-01-10T04:59:30Z', { settleRuns: false });
  try {
    await s.advanceTo('2026-01-10T05:00:00Z');
    await s.advanceTo('2026-01-10T05:01:00Z');
    await s.scheduler.idle();
    assert.equal(scheduledRuns(s.open).length, 1);
    assert.deepEqual(
      s.scheduler.fires('p').map((f) => [f.kind, iso(f.scheduledAt)]),
      [
        ['trigger.fired', '2026-01-10T05:00:00.000Z'],
        ['trigger.skipped', '2026-01-10T05:01:00.000Z'],
      ],
    );
    assert.match(s.scheduler.fires('p')[1]?.reason ?? '', /a run of p is still running .*skip_if_running/);
    assert.ok(s.activity.some((a) => a.type === 'skipped'));
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('with skip_if_running off, a fire during a run starts another run', async () => {
  const temp = projectWith([{ name: 'minutely', type: 'schedule', cron: '* * * * *', skip_if_running: false }], { rows: 1, delay_ms: 800 });
  const s = await startSession(temp.dir, '2026-01-10T04:59:30Z', { settleRuns: false });
  try {
    await s.advanceTo('2026-01-10T05:01:00Z');
    await s.scheduler.idle();
    assert.deepEqual(
      executionDates(s.open)
        .map((d) => d.slice(11, 16))
        .sort(),
      ['05:00', '05:01'],
    );
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('a fire refused by max_concurrent_runs (on_limit: skip) is recorded as skipped with the reason', async () => {
  const temp = createTempProject();
  temp.writePipeline('p', {
    max_concurrent_runs: 1,
    on_limit: 'skip',
    triggers: [{ name: 'minutely', type: 'schedule', cron: '* * * * *', skip_if_running: false }],
    blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 1000 } }],
  });
  const s = await startSession(temp.dir, '2026-01-10T04:59:30Z', { settleRuns: false });
  try {
    await s.advanceTo('2026-01-10T05:01:00Z');
    await s.scheduler.idle();
    assert.equal(scheduledRuns(s.open).length, 1);
    const skipped = s.scheduler.fires('p').find((f) => f.kind === 'trigger.skipped');
    assert.equal(skipped?.scheduledAt, Date.parse('2026-01-10T05:01:00Z'));
    assert.match(skipped?.reason ?? '', /max_concurrent_runs: 1, on_limit: skip/);
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('editing a trigger never fires a run: a changed cron starts from the time of the edit', async () => {
  const temp = projectWith([{ name: 'daily', type: 'schedule', cron: '0 5 * * *', catch_up: 'all' }]);
  const s = await startSession(temp.dir, '2026-01-10T02:00:00Z');
  try {
    // At 04:00 the cron moves to 03:00, already past today: with catch_up all, an edit that counted as a miss would fire now.
    await s.advanceTo('2026-01-10T04:00:00Z');
    writePipeline(temp, [{ name: 'daily', type: 'schedule', cron: '0 3 * * *', catch_up: 'all' }]);
    await s.scheduler.rescan();
    await s.advanceTo('2026-01-11T02:59:00Z');
    assert.equal(scheduledRuns(s.open).length, 0, 'neither the old 05:00 nor the new 03:00 fired today');
    assert.ok(s.activity.some((a) => a.type === 'registered' && a.isChange && a.nextAt === Date.parse('2026-01-11T03:00:00Z')));
    // Variables are not timing: changing them keeps the schedule where it was.
    writePipeline(temp, [{ name: 'daily', type: 'schedule', cron: '0 3 * * *', catch_up: 'all', variables: { who: 'edited' } }]);
    await s.scheduler.rescan();
    await s.advanceTo('2026-01-11T03:00:00Z');
    assert.deepEqual(
      scheduledRuns(s.open).map((r) => [String(r.variables.ds), r.variables.who]),
      [['2026-01-11', 'edited']],
    );
  } finally {
    await s.close();
    temp.cleanup();
  }
});

test('an invalid cron or time zone is refused at load with the reason and its file:line:column', async () => {
  const temp = projectWith([{ name: 'bad', type: 'schedule', cron: '61 * * * *' }]);
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    await assert.rejects(
      open.loadPipeline('p'),
      (e: unknown) =>
        e instanceof UserError &&
        /^pipelines\/p\/pipeline\.yaml:\d+:\d+ triggers\[0\]\.cron: invalid cron expression: Invalid value for minute: 61, got the text "61 \* \* \* \*"/.test(
          e.message,
        ),
    );
    writePipeline(temp, [{ name: 'bad', type: 'schedule', cron: '0 5 * *' }]);
    await assert.rejects(open.loadPipeline('p'), /triggers\[0\]\.cron: invalid cron expression: it needs 5 fields .* not 4/);
    writePipeline(temp, [{ name: 'bad', type: 'schedule', cron: '0 5 * * *', timezone: 'Mars/Olympus' }]);
    await assert.rejects(
      open.loadPipeline('p'),
      (e: unknown) =>
        e instanceof UserError &&
        e.place.path === 'triggers[0].timezone' &&
        typeof e.place.line === 'number' &&
        /unknown time zone: use an IANA name .*, got the text "Mars\/Olympus"/.test(e.message),
    );
    writePipeline(temp, [
      { name: 'x', type: 'api' },
      { name: 'x', type: 'schedule', cron: '0 5 * * *' },
    ]);
    await assert.rejects(open.loadPipeline('p'), /triggers\[1\]\.name: trigger name 'x' is used twice/);
  } finally {
    await open.close();
    temp.cleanup();
  }
  const broken = projectWith([{ name: 'bad', type: 'schedule', cron: 'every day' }]);
  const s = await startSession(broken.dir, '2026-01-10T04:00:00Z');
  try {
    const problem = s.activity.find((a) => a.type === 'problem');
    assert.match(problem?.type === 'problem' ? problem.message : '', /pipeline\.yaml:\d+:\d+ triggers\[0\]\.cron: invalid cron expression/);
  } finally {
    await s.close();
    broken.cleanup();
  }
});

test('kill -9 during a scheduled run: on restart the run is interrupted and resumable, and its time does not fire again', async () => {
  const temp = projectWith([{ name: 'daily', type: 'schedule', cron: '0 5 * * *' }], { rows: 1, delay_ms: 120_000 });
  try {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repo, 'test', 'helpers', 'scheduler-child.ts'),
        temp.dir,
        '2026-01-10T04:59:00Z',
        '2026-01-10T05:00:00Z',
      ],
      {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const runId = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /fired (\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`scheduler child exited early (${code}): ${out}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    // Restarted 30 s after the fire: within the on-time grace, so only the stored cursor prevents a second fire.
    const s = await startSession(temp.dir, '2026-01-10T05:00:30Z');
    try {
      const runs = scheduledRuns(s.open);
      assert.deepEqual(
        runs.map((r) => [r.id, r.status]),
        [[runId, 'interrupted']],
      );
      assert.deepEqual(s.open.store.blocksToResume(runId), ['src']);
      assert.deepEqual(
        s.scheduler.fires('p').map((f) => [f.kind, f.runId]),
        [['trigger.fired', runId]],
      );
      writePipeline(temp, [{ name: 'daily', type: 'schedule', cron: '0 5 * * *' }], { rows: 1 });
      await s.advanceTo('2026-01-11T05:00:00Z');
      assert.deepEqual(
        executionDates(s.open).map((d) => d.slice(0, 10)),
        ['2026-01-10', '2026-01-11'],
      );
    } finally {
      await s.close();
    }
  } finally {
    temp.cleanup();
  }
});
