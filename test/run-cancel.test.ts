import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import { startServeServer, type ServeServer } from '../main/serve/serve-server.ts';
import { Scheduler } from '../main/orchestration/scheduler.ts';
import { callApi } from '../main/cli/remote-run.ts';
import type { ServerFile } from '../main/serve/server-file.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import type { RunQueueEvent } from '../main/runtime/run-launcher.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { rawRequest } from './helpers/serve-client.ts';
import { ManualClock } from './helpers/manual-clock.ts';
import { runCli } from './helpers/run-cli.ts';
import { waitUntil } from './helpers/wait-until.ts';

// Cancelling reaches a run whatever started it: the app, a handed-over CLI run, an API trigger, a schedule, a
// backfill, and runs still queued behind max_concurrent_runs. Each run waits on a file sensor that never fires,
// so only a cancel can end it; the test cancels through the API and waits for the history to say `cancelled`.

/** Long enough for a loaded machine, short enough that a run which ignores the cancel fails the test. */
const PROMPTLY_MS = 15_000;

let temp: TempProject;
let open: OpenProject;
let server: ServeServer;
let rendererDir: string;
let api: ServerFile;
const events: RunEvent[] = [];
const queue: RunQueueEvent[] = [];

const waitingBlocks = [{ id: 'wait', type: 'sensor', kind: 'file', config: { path: 'never.txt', interval_seconds: 0.2 } }];

before(async () => {
  temp = createTempProject();
  for (const id of ['by_app', 'by_cli', 'by_api', 'by_backfill'])
    temp.writePipeline(id, { triggers: [{ name: 'api', type: 'api' }], blocks: waitingBlocks });
  temp.writePipeline('by_schedule', {
    triggers: [{ name: 'five', type: 'schedule', cron: '0 5 * * *', timezone: 'UTC' }],
    blocks: waitingBlocks,
  });
  const limited = { max_concurrent_runs: 1, on_limit: 'queue', blocks: waitingBlocks };
  temp.writePipeline('limited_api', { ...limited, triggers: [{ name: 'api', type: 'api' }] });
  temp.writePipeline('limited_schedule', {
    ...limited,
    triggers: [{ name: 'six', type: 'schedule', cron: '0 6 * * *', timezone: 'UTC', skip_if_running: false }],
  });
  rendererDir = mkdtempSync(path.join(os.tmpdir(), 'pw-renderer-'));
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>ui</title>');
  open = await openProject(temp.dir);
  open.runs.onEvent((event) => events.push(event));
  open.runs.onQueue((event) => queue.push(event));
  server = await startServeServer({ open, rendererDir, host: '127.0.0.1', port: 0 });
  api = { pid: process.pid, origin: `http://127.0.0.1:${server.port}`, token: server.token };
});

after(async () => {
  await server?.close();
  await open?.close();
  temp?.cleanup();
  rmSync(rendererDir, { recursive: true, force: true });
});

/** The run of `pipelineId` started by `kind` once its sensor is waiting (so the cancel hits a running block). */
async function runningRun(pipelineId: string, kind: string): Promise<string> {
  const started = await waitUntil(
    () =>
      events.find(
        (e): e is Extract<RunEvent, { type: 'run.started' }> =>
          e.type === 'run.started' && e.pipelineId === pipelineId && e.trigger.kind === kind,
      ),
    { what: `a ${kind} run of ${pipelineId} to start` },
  );
  await waitUntil(() => events.some((e) => e.type === 'block.started' && e.runId === started.runId), {
    what: `the sensor of ${started.runId} to start`,
  });
  return started.runId;
}

async function cancelThroughApi(runId: string): Promise<void> {
  assert.deepEqual(await callApi(api, 'runs.cancel', { runId }), { cancelling: true });
  const run = await waitUntil(
    () => {
      const detail = open.store.getRun(runId);
      return detail?.status === 'running' ? undefined : detail;
    },
    { what: `run ${runId} to end after its cancel`, timeoutMs: PROMPTLY_MS },
  );
  assert.equal(run.status, 'cancelled');
}

function startApiRun(pipelineId: string) {
  return rawRequest(`${api.origin}/api/pipelines/${pipelineId}/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}` },
  });
}

test('a run started from the app is cancelled through the API', async () => {
  const { runId } = await callApi(api, 'runs.start', { pipelineId: 'by_app' });
  assert.equal(await runningRun('by_app', 'app'), runId);
  await cancelThroughApi(runId);
});

test('a CLI run handed to the process holding the project is cancelled through the API, and the CLI reports it', async () => {
  const cli = runCli(['run', 'by_cli', '--project', temp.dir, '--json']);
  const runId = await runningRun('by_cli', 'cli');
  await cancelThroughApi(runId);
  const result = await cli;
  assert.equal(result.code, 1, result.stderr);
  assert.equal((JSON.parse(result.stdout) as { status: string }).status, 'cancelled');
});

test('a run started by an API trigger is cancelled through the API', async () => {
  const res = await startApiRun('by_api');
  assert.equal(res.status, 201, res.body);
  const { runId } = JSON.parse(res.body) as { runId: string };
  assert.equal(await runningRun('by_api', 'api'), runId);
  await cancelThroughApi(runId);
});

test('a scheduled run is cancelled through the API', async () => {
  const clock = new ManualClock('2026-01-10T04:59:00Z');
  const scheduler = new Scheduler({ open, clock });
  try {
    await scheduler.start();
    await clock.advanceTo('2026-01-10T05:00:00Z', () => scheduler.settled());
    const runId = await runningRun('by_schedule', 'schedule');
    await cancelThroughApi(runId);
  } finally {
    await scheduler.stop();
  }
});

test('a backfill run is cancelled through the API', async () => {
  const started = await callApi(api, 'backfills.start', { pipelineId: 'by_backfill', from: '2026-01-01', to: '2026-01-01', every: 'day' });
  assert.equal(started.total, 1);
  const runId = await runningRun('by_backfill', 'backfill');
  await cancelThroughApi(runId);
});

test('an API-triggered run queued behind max_concurrent_runs is cancelled with POST /api/runs/<id>/cancel and never starts', async () => {
  const first = JSON.parse((await startApiRun('limited_api')).body) as { runId: string; status: string };
  const second = JSON.parse((await startApiRun('limited_api')).body) as { runId: string; status: string };
  assert.deepEqual([first.status, second.status], ['running', 'queued']);
  const cancel = await rawRequest(`${api.origin}/api/runs/${second.runId}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}` },
  });
  assert.equal(cancel.status, 202, cancel.body);
  await waitUntil(() => queue.some((e) => e.runId === second.runId && !e.queued), {
    what: 'the queued run to leave the queue',
    timeoutMs: PROMPTLY_MS,
  });
  const read = await rawRequest(`${api.origin}/api/runs/${second.runId}`, { headers: { authorization: `Bearer ${api.token}` } });
  assert.equal((JSON.parse(read.body) as { status: string }).status, 'cancelled');
  await cancelThroughApi(await runningRun('limited_api', 'api'));
  assert.equal(
    events.some((e) => e.type === 'run.started' && e.runId === second.runId),
    false,
    'the cancelled queued run never started',
  );
  assert.equal(open.store.getRun(second.runId), undefined);
});

test('a scheduled run queued behind max_concurrent_runs is cancelled through the API and never starts', async () => {
  const { runId: holding } = await callApi(api, 'runs.start', { pipelineId: 'limited_schedule' });
  await runningRun('limited_schedule', 'app');
  const clock = new ManualClock('2026-01-10T05:59:00Z');
  const scheduler = new Scheduler({ open, clock });
  try {
    await scheduler.start();
    await clock.advanceTo('2026-01-10T06:00:00Z', () => scheduler.settled());
    const queued = await waitUntil(() => queue.find((e) => e.pipelineId === 'limited_schedule' && e.queued), {
      what: 'the scheduled run to queue',
    });
    assert.deepEqual(await callApi(api, 'runs.cancel', { runId: queued.runId }), { cancelling: true });
    await waitUntil(() => queue.some((e) => e.runId === queued.runId && !e.queued), {
      what: 'the queued run to leave the queue',
      timeoutMs: PROMPTLY_MS,
    });
    await cancelThroughApi(holding);
    await scheduler.idle();
    assert.equal(
      events.some((e) => e.type === 'run.started' && e.runId === queued.runId),
      false,
      'the cancelled queued run never started',
    );
  } finally {
    await scheduler.stop();
  }
});

test('cancelling a run that is not live answers cancelling: false', async () => {
  assert.deepEqual(await callApi(api, 'runs.cancel', { runId: 'r_no_such_run' }), { cancelling: false });
});
