import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import WebSocket from 'ws';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import { startServeServer, type ServeServer } from '../main/serve/serve-server.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { rawRequest } from './helpers/serve-client.ts';
import { waitUntil } from './helpers/wait-until.ts';

let temp: TempProject;
let open: OpenProject;
let server: ServeServer;
let rendererDir: string;
let origin: string;

before(async () => {
  temp = createTempProject();
  temp.writePipeline('p', { blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 300 } }] });
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

const call = (method: string, params: unknown, headers: Record<string, string>) =>
  rawRequest(`${origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ method, params }),
  });

test('prints a URL with a token of at least 128 random bits, on loopback', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{40,}$/);
  assert.ok(Buffer.from(server.token, 'base64url').length >= 16);
});

test('refuses pages and API calls without the token, or with a wrong one', async () => {
  const page = await rawRequest(`${origin}/`);
  assert.equal(page.status, 403);
  assert.match(page.body, /token/);
  const noToken = await call('app.info', {}, { origin });
  assert.equal(noToken.status, 403);
  const wrong = await call('app.info', {}, { origin, authorization: `Bearer ${server.token.slice(0, -2)}xx` });
  assert.equal(wrong.status, 403);
  const right = await call('app.info', {}, { origin, authorization: `Bearer ${server.token}` });
  assert.equal(right.status, 200);
  assert.equal(JSON.parse(right.body).result.project, 'test-project');
});

test('swaps ?token= for an HttpOnly SameSite=Strict cookie that then opens pages and the API', async () => {
  const first = await rawRequest(server.url);
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/');
  const cookie = String(first.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const jar = cookie.split(';')[0] ?? '';
  const page = await rawRequest(`${origin}/`, { headers: { cookie: jar } });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  const api = await call('pipelines.list', {}, { origin, cookie: jar });
  assert.deepEqual(JSON.parse(api.body).result.pipelines, ['p']);
});

test('refuses a request whose Host is not the loopback host and port (DNS rebinding), even with the token', async () => {
  const page = await rawRequest(`${origin}/`, {
    headers: { host: `evil.example:${server.port}`, authorization: `Bearer ${server.token}` },
  });
  assert.equal(page.status, 403);
  assert.match(page.body, /Host 'evil\.example/);
  const otherPort = await call('app.info', {}, { host: `127.0.0.1:${server.port + 1}`, origin, authorization: `Bearer ${server.token}` });
  assert.equal(otherPort.status, 403);
  const localhost = await rawRequest(`${origin}/`, {
    headers: { host: `localhost:${server.port}`, authorization: `Bearer ${server.token}` },
  });
  assert.equal(localhost.status, 200);
});

test('refuses API calls from a foreign or missing Origin, and bodies a form could send', async () => {
  const auth = { authorization: `Bearer ${server.token}` };
  assert.equal((await call('app.info', {}, { ...auth, origin: 'http://evil.example' })).status, 403);
  assert.equal((await call('app.info', {}, { ...auth, origin: 'null' })).status, 403);
  assert.equal((await call('app.info', {}, auth)).status, 403);
  const form = await rawRequest(`${origin}/api/call`, {
    method: 'POST',
    headers: { ...auth, origin, 'content-type': 'text/plain' },
    body: '{"method":"app.info"}',
  });
  assert.equal(form.status, 415);
});

test('refuses a WebSocket from a foreign Origin or without one, and pushes run events to our own', async () => {
  const url = `ws://127.0.0.1:${server.port}/api/events`;
  const auth = { authorization: `Bearer ${server.token}` };
  assert.equal(await upgradeStatus(url, { headers: auth, origin: 'http://evil.example' }), 403);
  assert.equal(await upgradeStatus(url, { headers: auth }), 403);
  assert.equal(await upgradeStatus(url, { origin }), 403);

  const socket = new WebSocket(url, { headers: auth, origin });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const finished = new Promise<{ status: string }>((resolve) => {
    socket.on('message', (data) => {
      const { event, payload } = JSON.parse(String(data)) as { event: string; payload: { type: string; status: string } };
      if (event === 'runs.event' && payload.type === 'run.finished') resolve(payload);
    });
  });
  const started = await call('runs.start', { pipelineId: 'p' }, { ...auth, origin });
  assert.equal(JSON.parse(started.body).ok, true);
  assert.equal((await finished).status, 'succeeded');
  socket.close();
});

test('sends Arrow IPC bytes of a preview as base64 that decodes to the right window', async () => {
  const auth = { authorization: `Bearer ${server.token}`, origin };
  const started = JSON.parse((await call('runs.start', { pipelineId: 'p' }, auth)).body);
  assert.equal(started.ok, true);
  await waitForRun(started.result.runId, auth);
  const reply = JSON.parse(
    (await call('outputs.preview', { pipelineId: 'p', blockId: 'src', window: { offset: 290, limit: 50 } }, auth)).body,
  );
  assert.equal(reply.result.totalRows, 300);
  const table = tableFromIPC(Buffer.from(reply.result.ipc.$bytes, 'base64'));
  assert.equal(table.numRows, 10);
  assert.equal(Number(table.get(9)?.toJSON().i), 299);
});

test('serves no file outside the built renderer, however the path is spelled', async () => {
  const headers = { authorization: `Bearer ${server.token}` };
  for (const spelling of [
    '/../package.json',
    '/..%2f..%2fpackage.json',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/index.html%00.js',
    '/..%5c..%5cpackage.json',
  ]) {
    const res = await rawRequest(`${origin}${spelling}`, { headers });
    assert.equal(res.status, 404, spelling);
  }
});

function upgradeStatus(url: string, opts: { headers?: Record<string, string>; origin?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, opts);
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      resolve(101);
      socket.close();
    });
    socket.on('error', reject);
  });
}

async function waitForRun(runId: string, headers: Record<string, string>): Promise<void> {
  await waitUntil(
    async () => {
      const { result } = JSON.parse((await call('runs.get', { runId }, headers)).body);
      return result.run && result.run.status !== 'running';
    },
    { what: `run ${runId} to finish` },
  );
}
