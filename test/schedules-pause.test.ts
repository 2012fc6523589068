import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import { Scheduler } from '../main/orchestration/scheduler.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { ManualClock } from './helpers/manual-clock.ts';

const HOUR = 3_600_000;

/** A project whose pipeline `p` has an hourly schedule and a disabled one, with a scheduler on a hand-moved clock. */
async function startSession(start: string) {
  const temp = createTempProject();
  temp.writePipeline('p', {
    triggers: [
      { name: 'hourly', type: 'schedule', cron: '0 * * * *' },
      { name: 'off', type: 'schedule', cron: '0 * * * *', enabled: false },
    ],
    blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1 } }],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const clock = new ManualClock(start);
  const scheduler = new Scheduler({ open, clock, rescanMs: 12 * HOUR });
  await scheduler.start();
  const events: { event: string; payload: unknown }[] = [];
  const handlers = createApiHandlers(open, (event, payload) => events.push({ event, payload }), { origin: null }, { scheduler });
  const call = async (method: string, params: unknown = {}) => {
    const reply = await dispatch(handlers, method, params);
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.result as {
      isRunning: boolean;
      isPaused: boolean;
      active: { pipelineId: string; trigger: string; nextAt: number | null }[];
    };
  };
  const runDates = () =>
    open.store
      .listRuns({ pipelineId: 'p', limit: 100 })
      .map((r) => String(open.store.getRun(r.id)?.variables.execution_date).slice(11, 16))
      .sort();
  return {
    scheduler,
    clock,
    call,
    events,
    runDates,
    advanceTo: (to: string) => clock.advanceTo(to, () => scheduler.idle()),
    close: async () => {
      await scheduler.stop();
      await open.close();
      temp.cleanup();
    },
  };
}

test('schedules.status lists the enabled schedules with their next fire; a project without a scheduler says so', async () => {
  const s = await startSession('2026-01-10T04:30:00Z');
  try {
    const status = await s.call('schedules.status');
    assert.deepEqual(status, {
      isRunning: true,
      isPaused: false,
      active: [{ pipelineId: 'p', trigger: 'hourly', nextAt: Date.parse('2026-01-10T05:00:00Z') }],
    });
    const temp = createTempProject();
    const open = await openProject(temp.dir, { kinds: createTestRegistry() });
    const reply = await dispatch(
      createApiHandlers(open, () => undefined),
      'schedules.status',
      {},
    );
    assert.deepEqual(reply, { ok: true, result: { isRunning: false, isPaused: false, active: [] } });
    await open.close();
    temp.cleanup();
  } finally {
    await s.close();
  }
});

test('pausing schedules fires nothing while paused, records the fires as skipped, and resuming does not catch them up', async () => {
  const s = await startSession('2026-01-10T04:30:00Z');
  try {
    const paused = await s.call('schedules.setPaused', { isPaused: true });
    assert.equal(paused.isPaused, true);
    assert.deepEqual(s.events.at(-1), { event: 'schedules.changed', payload: paused });
    await s.advanceTo('2026-01-10T07:30:00Z');
    assert.deepEqual(s.runDates(), [], 'no run while paused');
    const skipped = s.scheduler.fires('p').filter((f) => f.kind === 'trigger.skipped');
    assert.equal(skipped.length, 3, 'the 05:00, 06:00 and 07:00 fires are recorded as skipped');
    assert.match(skipped[0]?.reason ?? '', /paused/);

    assert.equal((await s.call('schedules.setPaused', { isPaused: false })).isPaused, false);
    await s.advanceTo('2026-01-10T08:00:00Z');
    assert.deepEqual(s.runDates(), ['08:00'], 'resuming fires the next time only');
  } finally {
    await s.close();
  }
});

test('schedules.setPaused names its field when the flag is missing', async () => {
  const s = await startSession('2026-01-10T04:30:00Z');
  try {
    await assert.rejects(s.call('schedules.setPaused', {}), /schedules\.setPaused: isPaused/);
  } finally {
    await s.close();
  }
});
