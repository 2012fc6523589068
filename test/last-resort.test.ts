import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRendererBuilt } from './helpers/browser.ts';
import { CLI_ENTRY } from './helpers/run-cli.ts';
import { rawRequest } from './helpers/serve-client.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { installLastResort, FAULT_STORM_EXIT_CODE } from '../main/runtime/last-resort.ts';
import { runInFaultScope } from '../main/engine/fault-scope.ts';

const FAULT_KINDS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'fault-kinds.ts');
const temps: TempProject[] = [];
after(() => temps.forEach((t) => t.cleanup()));

function faultyProject(extra: Record<string, unknown> = {}): TempProject {
  const temp = createTempProject();
  temps.push(temp);
  for (const mode of ['throw', 'reject'] as const) {
    temp.writePipeline(`faulty_${mode}`, {
      retry: { retries: 0 },
      triggers: [{ name: 'api', type: 'api' }],
      blocks: [{ id: 'bad', type: 'source', kind: 'test_fault', config: { mode } }],
      ...extra,
    });
  }
  return temp;
}

/** Starts the real CLI with the fault kinds loaded; resolves once `ready` matches its stdout. */
function startCli(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; output: () => string; waitFor: (re: RegExp, ms: number) => Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', FAULT_KINDS, CLI_ENTRY, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const wake of waiters) wake();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', () => waiters.forEach((wake) => wake()));
  const waitFor = (re: RegExp, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ${re} within ${ms} ms:\n${output}`)), ms);
      const check = () => {
        const match = re.exec(output);
        if (match) return done(undefined, match[0]);
        if (child.exitCode !== null || child.signalCode !== null)
          done(new Error(`the process exited (${child.exitCode ?? child.signalCode}):\n${output}`));
      };
      const done = (error?: Error, found?: string) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve(found ?? '');
      };
      waiters.add(check);
      check();
    });
  return waitFor(ready, 60_000).then(() => ({ child, output: () => output, waitFor }));
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

describe('last-resort handlers in long-lived processes', () => {
  test('serve fails the run whose block threw from a callback or left a rejection unhandled, and keeps answering', async () => {
    ensureRendererBuilt();
    const temp = faultyProject();
    const cli = await startCli(['serve', '--project', temp.dir, '--port', '0'], /serving http:\/\/\S+/);
    try {
      const url = new URL(/serving (http:\/\/\S+)/.exec(cli.output())?.[1] ?? '');
      const token = url.searchParams.get('token') ?? '';
      const headers = { authorization: `Bearer ${token}` };
      for (const mode of ['throw', 'reject']) {
        const started = await rawRequest(`${url.origin}/api/pipelines/faulty_${mode}/runs`, { method: 'POST', headers });
        assert.equal(started.status, 201, started.body);
        const { runId } = JSON.parse(started.body) as { runId: string };
        // Polling the status route, as a CI caller would.
        const run = await waitUntil(
          async () => {
            const now = JSON.parse((await rawRequest(`${url.origin}/api/runs/${runId}`, { headers })).body) as { status: string };
            return now.status !== 'running' && now;
          },
          { what: `run ${runId} to end`, timeoutMs: 60_000, intervalMs: 100 },
        );
        assert.equal(run.status, 'failed', `${mode}: ${JSON.stringify(run)}`);
        await cli.waitFor(
          new RegExp(`${mode === 'throw' ? 'uncaughtException' : 'unhandledRejection'} in run ${runId}, block bad`),
          10_000,
        );
      }
      // A fault no block owns is logged with its stack; the server carries on.
      cli.child.kill('SIGUSR2');
      await cli.waitFor(/internal error \(uncaughtException\), kept running:\nError: a fault no block owns/, 10_000);
      const info = await rawRequest(`${url.origin}/api/call`, {
        method: 'POST',
        headers: { ...headers, origin: url.origin, 'content-type': 'application/json' },
        body: '{"method":"app.info","params":{}}',
      });
      assert.equal(info.status, 200);
      assert.equal(await stop(cli.child), 0);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  test('schedule records a faulting scheduled run as failed and keeps firing', async () => {
    const temp = faultyProject({ triggers: [{ name: 'every_second', type: 'schedule', cron: '* * * * * *' }] });
    const cli = await startCli(['schedule', '--project', temp.dir], /scheduler running/);
    try {
      // Two failed runs of the same faulting pipeline: the first fault did not stop the scheduler.
      await cli.waitFor(/faulty_throw\/every_second run \S+ failed[\s\S]*faulty_throw\/every_second run \S+ failed/, 90_000);
      cli.child.kill('SIGUSR2');
      await cli.waitFor(/a fault no block owns/, 10_000);
      const before = (cli.output().match(/run \S+ failed/g) ?? []).length;
      await cli.waitFor(new RegExp(`(?:run \\S+ failed[\\s\\S]*){${before + 1}}`), 60_000);
      assert.equal(await stop(cli.child), 0);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });
});

describe('installLastResort', () => {
  test('fails the owning attempt, reports a fault no attempt owns, and stops after a storm of them', () => {
    const target = new EventEmitter();
    const reports: string[] = [];
    const failed: string[] = [];
    const exits: number[] = [];
    const remove = installLastResort({
      target,
      report: (m) => reports.push(m),
      exit: (code) => exits.push(code),
      stormLimit: 3,
      stormWindowMs: 60_000,
    });
    runInFaultScope({ runId: 'r1', blockId: 'b1', fail: (e) => failed.push(e.message) > 0 }, () =>
      target.emit('uncaughtException', new Error('in a block')),
    );
    assert.deepEqual(failed, ["uncaught exception in the block's work: in a block"]);
    // A fault from something an ended attempt left behind belongs to no one: reported, counted towards a storm.
    runInFaultScope({ runId: 'r0', blockId: 'old', fail: () => false }, () => target.emit('unhandledRejection', new Error('loose')));
    assert.ok(reports.some((r) => /internal error \(unhandledRejection\), kept running:\nError: loose/.test(r)));
    target.emit('uncaughtException', 'not even an Error');
    assert.deepEqual(exits, []);
    target.emit('uncaughtException', new Error('third'));
    assert.deepEqual(exits, [FAULT_STORM_EXIT_CODE]);
    assert.ok(reports.some((r) => /run r1, block b1/.test(r)));
    assert.ok(reports.some((r) => /stopping rather than running in a broken state/.test(r)));
    remove();
    assert.equal(target.listenerCount('uncaughtException'), 0);
  });
});
