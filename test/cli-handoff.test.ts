import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { ensureRendererBuilt, startServe, type ServeProcess } from './helpers/browser.ts';
import { runCli } from './helpers/run-cli.ts';
import { readServerFile, removeServerFile, writeServerFile } from '../main/serve/server-file.ts';
import { callApi } from '../main/cli/remote-run.ts';
import type { RunJson } from '../main/cli/run-json.ts';

let temp: TempProject;
let serve: ServeProcess;

/** The pipelines of these tests (also written to a second project, which runs in-process). */
function writePipelines(project: TempProject): void {
  project.writeFile('blocks/numbers.sql', "select range as n, '{{ label }}' as label from range(5)\n");
  project.writeFile('blocks/broken.sql', 'select nope from numbers\n');
  project.writeFile('blocks/after.sql', 'select * from broken\n');
  const numbers = { id: 'numbers', type: 'source', kind: 'sql', file: 'blocks/numbers.sql' };
  const broken = { id: 'broken', type: 'transform', kind: 'sql', file: 'blocks/broken.sql', upstream: ['numbers'] };
  project.writePipeline('numbers', { variables: { label: 'default' }, blocks: [numbers] });
  project.writePipeline('broken', { variables: { label: 'default' }, blocks: [numbers, broken] });
  project.writePipeline('mixed', {
    variables: { label: 'default' },
    blocks: [numbers, broken, { id: 'after', type: 'transform', kind: 'sql', file: 'blocks/after.sql', upstream: ['broken'] }],
  });
  project.writePipeline('waiting', {
    blocks: [{ id: 'wait', type: 'sensor', kind: 'file', config: { path: 'never.txt', interval_seconds: 0.2 } }],
  });
}

before(async () => {
  ensureRendererBuilt();
  temp = createTempProject();
  writePipelines(temp);
  serve = await startServe(temp.dir);
});

after(async () => {
  await serve?.stop();
  temp?.cleanup();
});

const stateDir = () => path.join(temp.dir, '.pipewright');
const server = () => {
  const info = readServerFile(stateDir());
  assert.ok(info, 'serve advertises itself in .pipewright/server.json');
  return info;
};

test('serve writes .pipewright/server.json for this user only, naming its process and address', () => {
  const info = server();
  assert.equal(info.pid, serve.child.pid);
  assert.equal(new URL(serve.url).origin, info.origin);
  assert.equal(statSync(path.join(stateDir(), 'server.json')).mode & 0o777, 0o600);
});

test('pipewright run hands its run to the serve holding the project: same logs, --json result, recorded as a CLI run', async () => {
  const result = await runCli(['run', 'numbers', '--project', temp.dir, '--var', 'label=handed', '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`open in another Pipewright process \\(PID ${serve.child.pid}, http://127\\.0\\.0\\.1:\\d+\\): running through it`),
  );
  assert.match(result.stderr, /numbers succeeded in [\d.]+ s, 5 rows/);
  const json = JSON.parse(result.stdout) as { runId: string; status: string; blocks: { id: string; rows: number }[] };
  assert.equal(json.status, 'succeeded');
  assert.deepEqual(
    json.blocks.map((b) => [b.id, b.rows]),
    [['numbers', 5]],
  );
  const { run } = await callApi(server(), 'runs.get', { runId: json.runId });
  assert.equal(run?.trigger.kind, 'cli');
  assert.equal(run?.variables['label'], 'handed');
});

test('pipewright run --json prints the same fields with the same values whether it runs in-process or through serve', async () => {
  const local = createTempProject();
  try {
    writePipelines(local);
    const here = await runCli(['run', 'mixed', '--project', local.dir, '--json']);
    const handed = await runCli(['run', 'mixed', '--project', temp.dir, '--json']);
    assert.doesNotMatch(here.stderr, /running through it/);
    assert.match(handed.stderr, /running through it/);
    assert.deepEqual([here.code, handed.code], [1, 1], `${here.stderr}\n${handed.stderr}`);
    // Only the run's id and times may differ: each is a number (or null for a block that never ran) in both.
    const comparable = (stdout: string) => {
      const json = JSON.parse(stdout) as RunJson;
      assert.match(json.runId, /\S/);
      assert.equal(typeof json.durationMs, 'number');
      return {
        ...json,
        runId: '<id>',
        durationMs: '<ms>',
        blocks: json.blocks.map((b) => ({ ...b, durationMs: b.durationMs === null ? null : '<ms>' })),
      };
    };
    const expected = comparable(here.stdout);
    assert.deepEqual(comparable(handed.stdout), expected);
    assert.deepEqual(Object.keys(expected), ['runId', 'pipeline', 'status', 'durationMs', 'blocks']);
    assert.deepEqual(
      expected.blocks.map((b) => Object.keys(b)),
      Array(3).fill(['id', 'status', 'rows', 'durationMs', 'attempts', 'error']),
    );
    assert.deepEqual(
      expected.blocks.map((b) => [b.id, b.status, b.rows]),
      [
        ['numbers', 'succeeded', 5],
        ['broken', 'failed', null],
        ['after', 'upstream_failed', null],
      ],
    );
  } finally {
    local.cleanup();
  }
});

test("a failed run through serve exits 1 with the error; an unknown pipeline exits 2 with serve's message", async () => {
  const failed = await runCli(['run', 'broken', '--project', temp.dir]);
  assert.equal(failed.code, 1, `${failed.stderr}\n${failed.stdout}`);
  assert.match(failed.stderr, /broken FAILED: block broken \(blocks\/broken\.sql.*nope/);
  const unknown = await runCli(['run', 'no_such_pipeline', '--project', temp.dir]);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /no_such_pipeline/);
});

test('Ctrl-C cancels the run in serve and exits 1; --conn is refused while serve holds the project', async () => {
  const result = await runCli(['run', 'waiting', '--project', temp.dir, '--json'], {
    onStderr: (text, child) => {
      if (/wait started/.test(text) && !child.killed) child.kill('SIGINT');
    },
  });
  assert.equal(result.code, 1, result.stderr);
  assert.equal((JSON.parse(result.stdout) as { status: string }).status, 'cancelled');
  const refused = await runCli(['run', 'numbers', '--project', temp.dir, '--conn', 'db.host=elsewhere']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /stop it to use --conn/);
});

test('a server.json left by a process that is gone is ignored: the run happens in-process', async () => {
  const other = createTempProject();
  try {
    other.writeFile('blocks/one.sql', 'select 1 as one\n');
    other.writePipeline('one', { blocks: [{ id: 'one', type: 'source', kind: 'sql', file: 'blocks/one.sql' }] });
    other.writeFile('.pipewright/server.json', JSON.stringify({ pid: 2_147_483_000, origin: 'http://127.0.0.1:9', token: 'x' }));
    const result = await runCli(['run', 'one', '--project', other.dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /running through it/);
  } finally {
    other.cleanup();
  }
});

test('a server.json naming a live process that does not answer (a reused pid) is ignored too', async () => {
  const other = createTempProject();
  try {
    other.writeFile('blocks/one.sql', 'select 1 as one\n');
    other.writePipeline('one', { blocks: [{ id: 'one', type: 'source', kind: 'sql', file: 'blocks/one.sql' }] });
    // This test process is alive, and nothing listens on port 9 (discard).
    other.writeFile('.pipewright/server.json', JSON.stringify({ pid: process.pid, origin: 'http://127.0.0.1:9', token: 'x' }));
    const result = await runCli(['run', 'one', '--project', other.dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /running through it/);
  } finally {
    other.cleanup();
  }
});

test('serve removes its server.json when it stops', async () => {
  const other = createTempProject();
  try {
    const second = await startServe(other.dir);
    const file = path.join(other.dir, '.pipewright', 'server.json');
    assert.ok(existsSync(file));
    assert.equal(await second.stop(), 0, second.output());
    assert.equal(existsSync(file), false);
  } finally {
    other.cleanup();
  }
});

test("a process removes only its own server.json, never a newer server's", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-state-'));
  try {
    writeServerFile(dir, { pid: process.pid + 1, origin: 'http://127.0.0.1:1', token: 't' });
    removeServerFile(dir, process.pid);
    assert.ok(existsSync(path.join(dir, 'server.json')), 'another process wrote it: kept');
    writeServerFile(dir, { pid: process.pid, origin: 'http://127.0.0.1:1', token: 't' });
    removeServerFile(dir, process.pid);
    assert.equal(existsSync(path.join(dir, 'server.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
