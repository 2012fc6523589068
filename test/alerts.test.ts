import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { openProject } from '../main/runtime/open-project.ts';
import { RunStore } from '../main/history/run-store.ts';
import { loadProject } from '../main/project/load-project.ts';
import { describeAlert, slackPayload, type Alert } from '../main/alerts/alert-message.ts';
import { startShell } from '../main/electron/shell.ts';
import type { RunResult } from '../main/model/engine-types.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { createFakeElectron } from './helpers/fake-electron.ts';

/** A webhook receiver answering each POST with the next status of `statuses` (the last one repeats). */
async function startReceiver(statuses: number[]) {
  const bodies: unknown[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(statuses[Math.min(bodies.length - 1, statuses.length - 1)] ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secretpath`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const failingPipeline = { blocks: [{ id: 'load_trips', type: 'source', kind: 'test_rows', config: { rows: 1, fail_times: 5 } }] };

/** Runs pipeline `p` of a temp project once; resolves to the result, the store's log of that run, and desktop alerts. */
async function runOnce(
  settings: Record<string, unknown>,
  pipeline: Record<string, unknown>,
  during?: (open: Awaited<ReturnType<typeof openProject>>, result: RunResult) => void,
) {
  const temp = createTempProject(settings);
  temp.writePipeline('p', pipeline);
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const desktop: Alert[] = [];
  open.alerts.onAlert((alert) => desktop.push(alert));
  let result: RunResult;
  try {
    result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
    during?.(open, result);
  } finally {
    await open.close();
  }
  const store = RunStore.open(path.join(temp.dir, '.pipewright', 'history.sqlite'));
  const logs = store.getLogs(result.runId).map((l) => `${l.level} ${l.message}`);
  store.close();
  temp.cleanup();
  return { result, logs, desktop };
}

test('a webhook that fails twice and then answers 200 is delivered once, in Slack shape, naming pipeline, run, block and error', async () => {
  const receiver = await startReceiver([500, 503, 200]);
  try {
    const { result, logs } = await runOnce(
      { alerts: [{ on: ['failure'], webhook: { url: receiver.url, retries: 3, timeout_seconds: 5 } }] },
      failingPipeline,
    );
    assert.equal(result.status, 'failed');
    assert.equal(receiver.bodies.length, 3, 'two failed attempts, then the delivery');
    const body = receiver.bodies[2] as { text: string; blocks: { type: string }[] };
    assert.match(body.text, /^Pipeline p failed at block load_trips/);
    assert.match(body.text, new RegExp(`Run: ${result.runId}`));
    assert.match(body.text, /flaky network on attempt 1/);
    assert.match(body.text, new RegExp(`pipewright history ${result.runId}`));
    assert.deepEqual(
      body.blocks.map((b) => b.type),
      ['header', 'section', 'section', 'context'],
    );
    assert.deepEqual(
      logs.filter((l) => l.includes('webhook')),
      [],
      'a delivered alert logs no warning',
    );
  } finally {
    await receiver.close();
  }
});

test('a webhook that always answers 500 never holds the run: bounded attempts, then a warning in the run log without the URL path', async () => {
  const receiver = await startReceiver([500]);
  let pendingWhenRunEnded = -1;
  try {
    const { result, logs } = await runOnce(
      { alerts: [{ on: ['failure'], webhook: { url: receiver.url, retries: 2, timeout_seconds: 5 } }] },
      failingPipeline,
      (open) => void (pendingWhenRunEnded = open.alerts.pendingWebhooks),
    );
    assert.equal(result.status, 'failed');
    assert.equal(pendingWhenRunEnded, 1, 'the run resolved while its alert was still being retried');
    assert.equal(receiver.bodies.length, 3, 'one attempt plus two retries, no more');
    const warnings = logs.filter((l) => l.includes('webhook'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^warn alert webhook \(failure\) to 127\.0\.0\.1:\d+ failed: HTTP 500 \(3 attempts\)$/);
    assert.doesNotMatch(warnings[0] ?? '', /secretpath/);
  } finally {
    await receiver.close();
  }
});

test('an SLA miss fires once while the run is still going, and not for a run within its SLA', async () => {
  const slow = {
    sla: { max_duration_minutes: 0.002 },
    blocks: [{ id: 'slow', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 900 } }],
  };
  const { result, desktop } = await runOnce({ alerts: [{ on: ['sla_miss'], desktop: true }] }, slow);
  assert.equal(result.status, 'succeeded');
  assert.deepEqual(
    desktop.map((a) => a.event),
    ['sla_miss'],
  );
  assert.equal(desktop[0]?.runId, result.runId);
  assert.match(desktop[0]?.title ?? '', /^Pipeline p is still running after 0\.002 min \(SLA missed\)$/);
  const fast = { sla: { max_duration_minutes: 5 }, blocks: [{ id: 'quick', type: 'source', kind: 'test_rows', config: { rows: 1 } }] };
  assert.deepEqual((await runOnce({ alerts: [{ on: ['sla_miss'], desktop: true }] }, fast)).desktop, []);
});

test('rules filter by outcome and pipeline: retry and success alerts reach their rules only', async () => {
  const flaky = {
    retry: { retries: 1, delay: 0.01 },
    blocks: [{ id: 'flaky', type: 'source', kind: 'test_rows', config: { rows: 1, fail_times: 1 } }],
  };
  const rules = [
    { on: ['retry', 'success'], desktop: true },
    { on: ['failure'], desktop: true },
    { on: ['success'], desktop: true, pipelines: ['another'] },
  ];
  const { result, desktop } = await runOnce({ alerts: rules }, flaky);
  assert.equal(result.status, 'succeeded');
  assert.deepEqual(
    desktop.map((a) => [a.event, a.blockId ?? null, a.attempt ?? null]),
    [
      ['retry', 'flaky', 1],
      ['success', null, null],
    ],
  );
});

test('links point at the served run page when serving, else at the CLI command; the Slack body carries the link', () => {
  const facts = { event: 'failure' as const, pipelineId: 'nyc', runId: 'r1', blockId: 'load', error: 'boom', at: 0 };
  const served = describeAlert(facts, 'http://127.0.0.1:6789/');
  assert.equal(served.link, 'http://127.0.0.1:6789/#/runs/r1');
  const context = slackPayload(served).blocks.at(-1) as { elements: { text: string }[] };
  assert.equal(context.elements[0]?.text, '<http://127.0.0.1:6789/#/runs/r1|Open the run>');
  assert.equal(describeAlert(facts).link, 'pipewright history r1');
  assert.equal(describeAlert(facts).text, 'Pipeline nyc failed at block load\nError: boom\nRun: r1\nInspect: pipewright history r1');
});

test('the desktop shell shows alerts.raised as a notification whose click focuses the window', async () => {
  const fake = createFakeElectron();
  const shown: { title: string; body: string; silent?: boolean; clicks: (() => void)[] }[] = [];
  class FakeNotification {
    static isSupported(): boolean {
      return true;
    }
    readonly record: (typeof shown)[number];
    constructor(options: { title: string; body: string; silent?: boolean }) {
      this.record = { ...options, clicks: [] };
    }
    on(_event: 'click', listener: () => void): this {
      this.record.clicks.push(listener);
      return this;
    }
    show(): void {
      shown.push(this.record);
    }
  }
  const shell = await startShell(
    { ...fake.electron, Notification: FakeNotification },
    { preloadPath: '/p.cjs', renderer: { indexHtml: '/i.html' } },
  );
  const alert = describeAlert({ event: 'failure', pipelineId: 'nyc', runId: 'r9', blockId: 'load', error: 'HTTP 404', at: 1 });
  shell?.emit('alerts.raised', alert);
  shell?.emit('runs.event', { type: 'run.started' });
  assert.equal(shown.length, 1, 'only alerts become notifications');
  assert.equal(shown[0]?.title, 'Pipeline nyc failed at block load');
  assert.equal(shown[0]?.body, 'Error: HTTP 404\nRun: r9\nInspect: pipewright history r9');
  const window = fake.windows[0];
  const before = window?.focusCount ?? 0;
  shown[0]?.clicks[0]?.();
  assert.equal(window?.focusCount, before + 1);
  assert.deepEqual(
    window?.webContents.sent.map((m) => (m[1] as { event: string }).event),
    ['alerts.raised', 'runs.event'],
  );
});

test('an alert rule with neither a webhook nor desktop is refused at load, naming the field', async () => {
  const temp = createTempProject({ alerts: [{ on: ['failure'] }] });
  try {
    await assert.rejects(loadProject(temp.dir), (error: Error) => /alerts/.test(error.message) && /webhook or desktop/.test(error.message));
  } finally {
    temp.cleanup();
  }
});
