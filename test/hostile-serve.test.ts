import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { ensureRendererBuilt, startServe, type ServeProcess } from './helpers/browser.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { rawRequest, type RawResponse } from './helpers/serve-client.ts';
import { rawExchange, wsFrame } from './helpers/raw-socket.ts';
import { MAX_CALL_BYTES } from '../main/api/call-limits.ts';

/**
 * The attack matrix: HTTP and WebSocket abuse against a real `pipewright serve` process. Each case checks the answer
 * it must get, then that the server still answers an API call. A case that kills the process is a crash; one that
 * gets no verdict within its deadline is a hang.
 */
let temp: TempProject;
let serve: ServeProcess;
let port: number;
let origin: string;
let token: string;
const tally = { cases: 0, passed: 0, crashes: 0, hangs: 0 };

before(async () => {
  ensureRendererBuilt();
  temp = createTempProject();
  temp.writePipeline('p', {
    triggers: [{ name: 'api', type: 'api' }],
    blocks: [{ id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' }],
  });
  temp.writeFile('blocks/src.sql', 'select 1 as x\n');
  serve = await startServe(temp.dir);
  const url = new URL(serve.url);
  port = Number(url.port);
  origin = url.origin;
  token = url.searchParams.get('token') ?? '';
});

after(async () => {
  process.stdout.write(`hostile-serve: ${tally.cases} cases, ${tally.passed} passed, ${tally.crashes} crashes, ${tally.hangs} hangs\n`);
  await serve?.stop();
  temp?.cleanup();
});

const auth = () => ({ authorization: `Bearer ${token}`, origin });
const call = (body: string, headers: Record<string, string> = {}) =>
  rawRequest(`${origin}/api/call`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(), ...headers }, body });

async function isAlive(): Promise<boolean> {
  if (serve.child.exitCode !== null || serve.child.signalCode !== null) return false;
  const answer = await Promise.race([
    call(JSON.stringify({ method: 'app.info', params: {} })).catch(() => undefined),
    new Promise<undefined>((resolve) => AbortSignal.timeout(10_000).addEventListener('abort', () => resolve(undefined))),
  ]);
  return answer?.status === 200 && JSON.parse(answer.body).ok === true;
}

/** Runs one attack with a deadline, then checks the server survived it. */
function attack(name: string, run: () => Promise<void>, deadlineMs = 20_000): void {
  test(name, async () => {
    tally.cases++;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), deadlineMs)));
    try {
      const verdict = await Promise.race([run().then(() => 'done' as const), deadline]);
      if (verdict === 'hang') {
        tally.hangs++;
        assert.fail(`no verdict within ${deadlineMs} ms`);
      }
    } finally {
      clearTimeout(timer);
    }
    if (!(await isAlive())) {
      tally.crashes++;
      assert.fail(`the server no longer answers after this case:\n${serve.output().slice(-2000)}`);
    }
    tally.passed++;
  });
}

function expectStatus(answer: RawResponse | { status: number; text?: string }, status: number | number[], pattern?: RegExp): void {
  const allowed = Array.isArray(status) ? status : [status];
  const body = 'body' in answer ? answer.body : (answer.text ?? '');
  assert.ok(allowed.includes(answer.status), `status ${answer.status}, expected ${allowed.join('/')}: ${body.slice(0, 300)}`);
  assert.doesNotMatch(body, /\n\s+at .+:\d+:\d+/, 'no stack trace in the answer');
  if (pattern) assert.match(body, pattern);
}

/** An authenticated WebSocket on /api/events, open. */
async function openSocket(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { headers: { authorization: `Bearer ${token}` }, origin });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** Sends raw bytes on an open WebSocket and resolves with the close code the server answers with. */
async function sendRawAndAwaitClose(bytes: Buffer): Promise<number> {
  const ws = await openSocket();
  ws.on('error', () => undefined); // the client side may see the broken stream too; only the close code matters here
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  (ws as unknown as { _socket: Socket })._socket.write(bytes);
  return closed;
}

/** Whether a WebSocket upgrade with these headers is refused (never opened). */
async function isUpgradeRefused(path: string, headers: Record<string, string>, wsOrigin?: string): Promise<boolean> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers, ...(wsOrigin ? { origin: wsOrigin } : {}) });
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.close();
      resolve(false);
    });
    ws.once('error', () => resolve(true));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(true);
    });
  });
}

const get = (path: string, headers: Record<string, string> = {}) =>
  rawExchange(port, [
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}Connection: close\r\n\r\n`,
  ]);

describe('HTTP attacks', () => {
  attack('a page without the token is refused', async () => expectStatus(await rawRequest(`${origin}/`), 403, /token/));
  attack('a wrong ?token= is refused', async () => expectStatus(await rawRequest(`${origin}/?token=${token.slice(0, -2)}xx`), 403));
  attack('an API call with a wrong bearer token is refused', async () =>
    expectStatus(await call('{}', { authorization: 'Bearer nope' }), 403),
  );
  attack('an API call with no token is refused', async () => {
    const answer = await rawRequest(`${origin}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: '{}',
    });
    expectStatus(answer, 403);
  });
  attack('a foreign Host (DNS rebinding) is refused even with the token', async () =>
    expectStatus(await call('{}', { host: `evil.example:${port}` }), 403, /Host/),
  );
  attack('a request with no Host at all (HTTP/1.0) is refused', async () => {
    expectStatus(await rawExchange(port, [`GET /?token=${token} HTTP/1.0\r\n\r\n`]), 403);
  });
  attack('a foreign Origin on the API is refused even with the token', async () =>
    expectStatus(await call('{}', { origin: 'http://evil.example' }), 403, /Origin/),
  );
  attack("a 'null' Origin on the API is refused", async () => expectStatus(await call('{}', { origin: 'null' }), 403));
  attack('a malformed %-escape in the session cookie answers 403, not 500, and needs the token', async () => {
    expectStatus(await get('/', { cookie: `pipewright_token_${port}=%zz%E0%A4%A` }), 403, /token/);
  });
  attack('a malformed %-escape in a page path answers 404 without a stack trace', async () =>
    expectStatus(await get('/%zz', { authorization: `Bearer ${token}` }), 404),
  );
  attack('a malformed %-escape in ?token= is refused', async () => expectStatus(await get('/?token=%zz'), 403));
  attack('a malformed %-escape in the API trigger path answers 400', async () => {
    const answer = await rawRequest(`${origin}/api/pipelines/%zz/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expectStatus(answer, 400, /escape/);
  });
  attack('a malformed %-escape in a run id answers 400', async () => {
    expectStatus(await rawRequest(`${origin}/api/runs/%E0%A4%A`, { headers: { authorization: `Bearer ${token}` } }), 400);
  });
  attack('a malformed %-escape in the trigger path without a token answers 403', async () => {
    expectStatus(await rawRequest(`${origin}/api/pipelines/%zz/runs`, { method: 'POST' }), 403);
  });
  attack('path traversal with raw ../ does not leave the renderer', async () => {
    const answer = await get('/../../../../etc/passwd', { authorization: `Bearer ${token}` });
    expectStatus(answer, [400, 404]);
    assert.doesNotMatch(answer.text, /root:/);
  });
  attack('path traversal with %2e%2e does not leave the renderer', async () => {
    const answer = await get('/%2e%2e/%2e%2e/%2e%2e/etc/passwd', { authorization: `Bearer ${token}` });
    expectStatus(answer, [400, 404]);
    assert.doesNotMatch(answer.text, /root:/);
  });
  attack('path traversal with encoded slashes does not leave the renderer', async () => {
    const answer = await get('/..%2f..%2f..%2f..%2fetc%2fpasswd', { authorization: `Bearer ${token}` });
    expectStatus(answer, [400, 404]);
    assert.doesNotMatch(answer.text, /root:/);
  });
  attack('path traversal with backslashes does not leave the renderer', async () => {
    expectStatus(await get('/..%5c..%5c..%5cetc%5cpasswd', { authorization: `Bearer ${token}` }), [400, 404]);
  });
  attack('a NUL byte in a page path answers 404', async () =>
    expectStatus(await get('/index.html%00.js', { authorization: `Bearer ${token}` }), 404),
  );
  attack('an absolute-form request target for another host is refused', async () => {
    expectStatus(
      await rawExchange(port, [`GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`]),
      [400, 403],
    );
  });
  attack('an API body over the call limit answers 413', async () =>
    expectStatus(await call(JSON.stringify({ method: 'app.info', params: { pad: 'x'.repeat(MAX_CALL_BYTES + 1) } })), 413),
  );
  attack('malformed JSON answers 400', async () => expectStatus(await call('{"method": "app.info", '), 400, /JSON/));
  attack('a text/plain API call (CSRF shape) answers 415', async () =>
    expectStatus(await call('{}', { 'content-type': 'text/plain' }), 415),
  );
  attack('an unknown API method is an error reply, not a crash', async () => {
    const answer = await call(JSON.stringify({ method: 'fs.readFile', params: { path: '/etc/passwd' } }));
    expectStatus(answer, 200);
    assert.equal(JSON.parse(answer.body).ok, false);
  });
  attack('params of the wrong shape are an error reply', async () => {
    const answer = await call(JSON.stringify({ method: 'runs.get', params: { runId: { $gt: '' } } }));
    expectStatus(answer, 200);
    assert.equal(JSON.parse(answer.body).ok, false);
  });
  attack('a JSON body that is null, a number or an array is an error reply', async () => {
    for (const body of ['null', '42', '[]', '"app.info"']) {
      const answer = await call(body);
      expectStatus(answer, [200, 400]);
      if (answer.status === 200) assert.equal(JSON.parse(answer.body).ok, false, body);
    }
  });
  attack('deeply nested JSON does not take the server down', async () => {
    const depth = 400_000;
    expectStatus(await call(`{"method":"app.info","params":${'['.repeat(depth)}${']'.repeat(depth)}}`), [200, 400, 413]);
  });
  attack('DELETE on the API answers 404', async () =>
    expectStatus(await rawRequest(`${origin}/api/call`, { method: 'DELETE', headers: auth() }), 404),
  );
  attack('a POST to a page answers 405', async () =>
    expectStatus(await rawRequest(`${origin}/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }), 405),
  );
  attack('an unknown HTTP method answers 400', async () =>
    expectStatus(await rawExchange(port, [`BREW / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`]), [400, 405]),
  );
  attack('a garbage request line answers 400', async () => expectStatus(await rawExchange(port, ['\x00\xff\x13garbage\r\n\r\n']), 400));
  attack('headers of 100 KB answer 431', async () => expectStatus(await get('/', { 'x-pad': 'a'.repeat(100_000) }), 431));
  attack('an API trigger body over 64 KB answers 413', async () => {
    const answer = await rawRequest(`${origin}/api/pipelines/p/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ variables: { x: 'y'.repeat(100_000) } }),
    });
    expectStatus(answer, 413);
  });
  attack('an API trigger with malformed JSON answers 400', async () => {
    const answer = await rawRequest(`${origin}/api/pipelines/p/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"variables":',
    });
    expectStatus(answer, 400);
  });
  attack('an API trigger for an unknown pipeline answers 404', async () => {
    expectStatus(
      await rawRequest(`${origin}/api/pipelines/nope/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }),
      404,
    );
  });
  attack(
    'a request whose headers never finish is dropped within the header timeout',
    async () => {
      const answer = await rawExchange(port, [`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `], { waitMs: 25_000 });
      assert.ok(answer.closedByServer, `still open after ${answer.ms} ms`);
    },
    40_000,
  );
  attack(
    'an API body that stops half way is dropped within the request timeout',
    async () => {
      const head = `POST /api/call HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"method":`;
      const answer = await rawExchange(port, [head], { waitMs: 45_000 });
      assert.ok(answer.closedByServer, `still open after ${answer.ms} ms`);
    },
    60_000,
  );
  attack('a client that resets its connection mid-body leaves the server serving', async () => {
    const head = `POST /api/call HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"method":`;
    await rawExchange(port, [head], { waitMs: 200 });
  });
  attack('two hundred connections at once are all answered', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => rawRequest(`${origin}/`).catch(() => ({ status: 0, body: '', headers: {} }))),
    );
    assert.ok(
      answers.every((a) => a.status === 403),
      `statuses: ${[...new Set(answers.map((a) => a.status))].join(', ')}`,
    );
  });
});

describe('WebSocket attacks', () => {
  attack('a WebSocket without the token is refused', async () => assert.ok(await isUpgradeRefused('/api/events', {}, origin)));
  attack('a WebSocket from a foreign Origin is refused', async () =>
    assert.ok(await isUpgradeRefused('/api/events', { authorization: `Bearer ${token}` }, 'http://evil.example')),
  );
  attack('a WebSocket with no Origin is refused', async () =>
    assert.ok(await isUpgradeRefused('/api/events', { authorization: `Bearer ${token}` })),
  );
  attack('a WebSocket on another path is refused', async () =>
    assert.ok(await isUpgradeRefused('/api/other', { authorization: `Bearer ${token}` }, origin)),
  );
  attack('a WebSocket with a malformed %-escape in its cookie is refused', async () =>
    assert.ok(await isUpgradeRefused('/api/events', { cookie: `pipewright_token_${port}=%zz` }, origin)),
  );
  attack('a handshake with a bad Sec-WebSocket-Version answers 400 or 403', async () => {
    const answer = await rawExchange(port, [
      `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: bad\r\nSec-WebSocket-Version: 99\r\n\r\n`,
    ]);
    expectStatus(answer, [400, 403, 426]);
  });
  attack('a handshake cut off half way leaves the server serving', async () => {
    await rawExchange(
      port,
      [
        `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`,
      ],
      { waitMs: 100 },
    );
  });
  attack('a frame with reserved bits set closes only that socket (1002)', async () => {
    assert.equal(await sendRawAndAwaitClose(wsFrame({ opcode: 0x1, payload: Buffer.from('hi'), rsv: 0b011 })), 1002);
  });
  attack('a frame with an unknown opcode closes only that socket (1002)', async () => {
    assert.equal(await sendRawAndAwaitClose(wsFrame({ opcode: 0x3, payload: Buffer.from('hi') })), 1002);
  });
  attack('an unmasked client frame closes only that socket (1002)', async () => {
    assert.equal(await sendRawAndAwaitClose(wsFrame({ opcode: 0x1, payload: Buffer.from('hi'), mask: false })), 1002);
  });
  attack('a text frame that is not UTF-8 closes only that socket (1007)', async () => {
    assert.equal(await sendRawAndAwaitClose(wsFrame({ opcode: 0x1, payload: Buffer.from([0xc3, 0x28, 0xff]) })), 1007);
  });
  attack('a fragmented control frame closes only that socket (1002)', async () => {
    assert.equal(await sendRawAndAwaitClose(wsFrame({ opcode: 0x9, payload: Buffer.from('ping'), fin: false })), 1002);
  });
  attack('a frame that claims 2^63 bytes closes only that socket', async () => {
    const code = await sendRawAndAwaitClose(wsFrame({ opcode: 0x2, payload: Buffer.alloc(0), claimedLength: 2n ** 63n - 1n }));
    assert.ok([1002, 1009].includes(code), `close code ${code}`);
  });
  attack('a 1 MB message closes only that socket (1009)', async () => {
    const ws = await openSocket();
    ws.on('error', () => undefined); // the client may see the reset too; the close code is the verdict
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(Buffer.alloc(1 << 20, 0x61));
    assert.equal(await closed, 1009);
  });
  attack('a flood of small messages is ignored and the socket keeps its events', async () => {
    const ws = await openSocket();
    for (let i = 0; i < 2000; i++) ws.send(`{"method":"runs.start","i":${i}}`);
    await new Promise<void>((resolve) => ws.send('last', () => resolve()));
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
  });
});
