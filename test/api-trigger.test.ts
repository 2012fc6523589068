import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import { startServeServer, type ServeServer } from '../main/serve/serve-server.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { rawRequest, type RawResponse } from './helpers/serve-client.ts';
import { waitUntil } from './helpers/wait-until.ts';

let temp: TempProject;
let open: OpenProject;
let server: ServeServer;
let rendererDir: string;
let origin: string;

before(async () => {
  temp = createTempProject();
  const blocks = [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 3, label: '{{ who }}' } }];
  temp.writePipeline('p', {
    variables: { who: 'nobody', team: 'none' },
    triggers: [
      { name: 'ci', type: 'api', variables: { team: 'data' } },
      { name: 'daily', type: 'schedule', cron: '0 5 * * *' },
    ],
    blocks,
  });
  temp.writePipeline('closed', { variables: { who: 'nobody' }, blocks });
  temp.writePipeline('limited', {
    variables: { who: 'nobody' },
    max_concurrent_runs: 1,
    on_limit: 'queue',
    triggers: [{ name: 'api', type: 'api' }],
    blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 400 } }],
  });
  rendererDir = mkdtempSync(path.join(os.tmpdir(), 'pw-renderer-'));
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>ui</title>');
  open = await openProject(temp.dir, { kinds: createTestRegistry() });
  server = await startServeServer({ open, rendererDir, host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${server.port}`;
});

after(async () => {
  await server.close();
  await open.close();
  temp.cleanup();
  rmSync(rendererDir, { recursive: true, force: true });
});

const bearer = () => ({ authorization: `Bearer ${server.token}` });
const startRun = (pipelineId: string, body: unknown, headers: Record<string, string>) =>
  rawRequest(`${origin}/api/pipelines/${pipelineId}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = (res: RawResponse) => JSON.parse(res.body) as Record<string, unknown>;

/** Polls GET /api/runs/<id> until the run is no longer running (bounded). */
async function waitForRun(runId: string): Promise<Record<string, unknown>> {
  return waitUntil(
    async () => {
      const res = await rawRequest(`${origin}/api/runs/${runId}`, { headers: bearer() });
      assert.equal(res.status, 200, res.body);
      const run = json(res);
      return run.status !== 'running' && run.status !== 'queued' && run;
    },
    { what: `run ${runId} to finish`, intervalMs: 50 },
  );
}

test("starts a run with a bearer token and no Origin (curl, CI), with the caller's variables, and reports its status", async () => {
  const res = await startRun('p', { variables: { who: 'ci-job' } }, bearer());
  assert.equal(res.status, 201, res.body);
  const { runId } = json(res) as { runId: string };
  assert.match(runId, /\S+/);
  assert.equal(res.headers.location, `/api/runs/${runId}`);
  const run = await waitForRun(runId);
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(run.trigger, { kind: 'api', by: 'ci' });
  const variables = run.variables as Record<string, unknown>;
  assert.equal(variables.who, 'ci-job', "the caller's variable");
  assert.equal(variables.team, 'data', "the trigger's default");
  assert.equal(open.store.getRun(runId)?.trigger.kind, 'api');
});

test('a body-less POST starts a run with the defaults', async () => {
  const res = await startRun('p', undefined, bearer());
  assert.equal(res.status, 201, res.body);
  const run = await waitForRun(String(json(res).runId));
  assert.equal((run.variables as Record<string, unknown>).who, 'nobody');
});

test('refuses a start without a token, with a wrong one, and from a foreign Origin even with the token', async () => {
  const before = open.store.listRuns({ limit: 1000 }).length;
  const none = await startRun('p', {}, {});
  assert.equal(none.status, 403);
  assert.match(none.body, /token/);
  assert.equal((await startRun('p', {}, { authorization: `Bearer ${server.token}x` })).status, 403);
  const foreign = await startRun('p', {}, { ...bearer(), origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.match(foreign.body, /Origin 'http:\/\/evil\.example'/);
  const rebound = await startRun('p', {}, { ...bearer(), host: `evil.example:${server.port}` });
  assert.equal(rebound.status, 403);
  const status = await rawRequest(`${origin}/api/runs/anything`, {});
  assert.equal(status.status, 403, 'reading a run needs the token too');
  assert.equal(open.store.listRuns({ limit: 1000 }).length, before, 'no run was started');
});

test("the UI's own page (its Origin and cookie) may start a run too", async () => {
  const first = await rawRequest(server.url);
  const cookie = String(first.headers['set-cookie']).split(';')[0] ?? '';
  const res = await startRun('p', {}, { cookie, origin });
  assert.equal(res.status, 201, res.body);
  await waitForRun(String(json(res).runId));
});

test('a pipeline without an api trigger is refused with 403 saying how to add one', async () => {
  const res = await startRun('closed', {}, bearer());
  assert.equal(res.status, 403);
  assert.match(
    String(json(res).error),
    /pipeline closed does not accept API runs: add a trigger .*type: api.* in pipelines\/closed\/pipeline\.yaml/,
  );
  assert.equal(open.store.listRuns({ pipelineId: 'closed' }).length, 0);
});

test('bad requests get a clear status: unknown pipeline, bad body, unknown variable, unknown run, wrong method', async () => {
  const unknown = await startRun('nope', {}, bearer());
  assert.equal(unknown.status, 404);
  assert.match(String(json(unknown).error), /no pipeline 'nope'/);
  const badJson = await rawRequest(`${origin}/api/pipelines/p/runs`, {
    method: 'POST',
    headers: { ...bearer(), 'content-type': 'application/json' },
    body: '{',
  });
  assert.equal(badJson.status, 400);
  const textBody = await rawRequest(`${origin}/api/pipelines/p/runs`, {
    method: 'POST',
    headers: { ...bearer(), 'content-type': 'text/plain' },
    body: '{}',
  });
  assert.equal(textBody.status, 415);
  const badShape = await startRun('p', { vars: {} }, bearer());
  assert.equal(badShape.status, 400);
  const badVariable = await startRun('p', { variables: { colour: 'red' } }, bearer());
  assert.equal(badVariable.status, 400);
  assert.match(String(json(badVariable).error), /colour/);
  assert.equal((await rawRequest(`${origin}/api/runs/r_missing`, { headers: bearer() })).status, 404);
  assert.equal((await rawRequest(`${origin}/api/pipelines/p/runs`, { headers: bearer() })).status, 405);
});

test('a start beyond max_concurrent_runs answers 201 with status queued, and the run follows when a slot frees', async () => {
  const first = json(await startRun('limited', {}, bearer()));
  const second = json(await startRun('limited', {}, bearer()));
  assert.equal(first.status, 'running');
  assert.equal(second.status, 'queued');
  const queued = json(await rawRequest(`${origin}/api/runs/${String(second.runId)}`, { headers: bearer() }));
  assert.equal(queued.status, 'queued');
  const [a, b] = [await waitForRun(String(first.runId)), await waitForRun(String(second.runId))];
  assert.equal(a.status, 'succeeded');
  assert.equal(b.status, 'succeeded');
  assert.ok(Number(b.startedAt) >= Number(a.finishedAt), 'the queued run started after the first finished');
});

test('triggers.list answers every trigger with its next five fire times', async () => {
  const res = await rawRequest(`${origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, ...bearer() },
    body: JSON.stringify({ method: 'triggers.list', params: { pipelineId: 'p' } }),
  });
  const { result } = json(res) as { result: { triggers: { name: string; type: string; next: { utc: string }[] }[] } };
  assert.deepEqual(
    result.triggers.map((t) => [t.name, t.type]),
    [
      ['ci', 'api'],
      ['daily', 'schedule'],
    ],
  );
  const next = result.triggers[1]?.next.map((f) => f.utc) ?? [];
  assert.equal(next.length, 5);
  assert.ok(
    next.every((t) => /^\d{4}-\d{2}-\d{2}T05:00:00Z$/.test(t)),
    next.join(),
  );
  assert.ok(Date.parse(next[0] ?? '') > Date.now() && Date.parse(next[0] ?? '') <= Date.now() + 86_400_000);
});

test('serve fires schedule triggers while it runs, and stops them when it closes', async () => {
  const project = createTempProject();
  // Every second (seconds first): the real clock fires within a second.
  project.writePipeline('often', {
    triggers: [{ name: 'each_second', type: 'schedule', cron: '* * * * * *' }],
    blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1 } }],
  });
  const served = await openProject(project.dir, { kinds: createTestRegistry() });
  let resolveFinished: (runId: string) => void = () => undefined;
  const finished = new Promise<string>((resolve) => (resolveFinished = resolve));
  const withScheduler = await startServeServer({
    open: served,
    rendererDir,
    host: '127.0.0.1',
    port: 0,
    scheduler: { onActivity: (a) => a.type === 'finished' && a.status === 'succeeded' && resolveFinished(a.runId) },
  });
  const startedAfterClose: string[] = [];
  try {
    const runId = await finished;
    assert.deepEqual(served.store.getRun(runId)?.trigger, { kind: 'schedule', by: 'each_second' });
  } finally {
    await withScheduler.close();
    served.runs.onEvent((event) => event.type === 'run.started' && startedAfterClose.push(event.runId));
    // An absence needs a window: the cron's next two fire times (whole seconds) pass with no run starting.
    const twoFiresLater = (Math.floor(Date.now() / 1000) + 2) * 1000;
    await waitUntil(() => Date.now() >= twoFiresLater || startedAfterClose.length > 0, { what: 'two fire times of each_second to pass' });
    assert.deepEqual(startedAfterClose, [], 'no fire after close');
    await served.close();
    project.cleanup();
  }
});
