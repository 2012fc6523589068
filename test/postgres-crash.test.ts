import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRendererBuilt } from './helpers/browser.ts';
import { createPgProject, startTestPostgres, waitForCopy, type TestPostgres } from './helpers/postgres.ts';
import { CLI_ENTRY } from './helpers/run-cli.ts';
import { rawRequest } from './helpers/serve-client.ts';
import type { TempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';

const FAULT_KINDS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'fault-kinds.ts');
// Decimal `half` and mode append send the load through the CSV pipe; enough rows that the COPY is still running.
const BIG = "select range as id, 'row number ' || range as label, range * 0.5 as half from range(3000000)\n";

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer.stop();
});

function csvPipeProject(table: string): TempProject {
  const project = createPgProject(pgServer);
  project.writePipeline('p', {
    triggers: [{ name: 'api', type: 'api' }],
    blocks: [
      { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
      {
        id: 'to_pg',
        type: 'export',
        kind: 'postgres',
        upstream: ['src'],
        config: { schema: 'crash', table, mode: 'append' },
        retry: { retries: 0 },
      },
    ],
  });
  project.writeFile('blocks/src.sql', BIG);
  return project;
}

/** Resolves once no Pipewright backend is left in Postgres (its COPY transaction ended), or rejects at the deadline. */
async function waitForNoPipewrightBackend(ms: number): Promise<void> {
  // Polling Postgres, which has no event for this.
  await waitUntil(
    async () => {
      const left = await pgServer.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where application_name = 'pipewright'`,
      );
      return left[0]?.n === 0;
    },
    { what: 'every Pipewright backend to leave Postgres', timeoutMs: ms, intervalMs: 50 },
  );
}

async function appendedRows(table: string): Promise<number> {
  const rows = await pgServer.query<{ n: number }>(
    `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'crash' and c.relname = $1`,
    [table],
  );
  if (rows[0]?.n === 0) return 0;
  return (await pgServer.query<{ n: number }>(`select count(*)::int as n from crash.${table}`))[0]?.n ?? 0;
}

test('a process that dies of an uncaught exception mid CSV-pipe COPY exits at once and Postgres rolls the COPY back', async () => {
  const project = csvPipeProject('died');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', FAULT_KINDS, CLI_ENTRY, 'run', 'p', '--project', project.dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitForCopy(pgServer, 120_000);
    child.kill('SIGUSR2'); // `pipewright run` has no last-resort handler: this ends the process
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000))]);
    assert.notEqual(code, 'hung', `the process did not exit within 20 s:\n${output}`);
    assert.equal(code, 1);
    await waitForNoPipewrightBackend(20_000);
    assert.equal(await appendedRows('died'), 0, 'no row of the interrupted COPY is visible');
  } finally {
    child.kill('SIGKILL');
    project.cleanup();
  }
});

test('under serve, a fault inside the export mid CSV-pipe COPY fails the run, rolls the COPY back and serve keeps answering', async () => {
  ensureRendererBuilt();
  const project = csvPipeProject('faulted');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', FAULT_KINDS, CLI_ENTRY, 'serve', '--project', project.dir, '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PW_TEST_FAULT_IN_COPY: '1' },
    },
  );
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  try {
    const url = await new Promise<URL>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        const match = /serving (http:\/\/\S+)/.exec(output);
        if (match?.[1]) resolve(new URL(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${output}`)));
    });
    const headers = { authorization: `Bearer ${url.searchParams.get('token') ?? ''}` };
    const started = await rawRequest(`${url.origin}/api/pipelines/p/runs`, { method: 'POST', headers });
    assert.equal(started.status, 201, started.body);
    const { runId } = JSON.parse(started.body) as { runId: string };
    // Polling the status route, as a CI caller would.
    const run = await waitUntil(
      async () => {
        const now = JSON.parse((await rawRequest(`${url.origin}/api/runs/${runId}`, { headers })).body) as { status: string };
        return now.status !== 'running' && now;
      },
      { what: `run ${runId} to end`, timeoutMs: 180_000, intervalMs: 200 },
    );
    assert.equal(run.status, 'failed', `${JSON.stringify(run)}\n${output}`);
    assert.match(output, /uncaughtException in run \S+, block to_pg/);
    await waitForNoPipewrightBackend(20_000);
    assert.equal(await appendedRows('faulted'), 0);
    const info = await rawRequest(`${url.origin}/api/call`, {
      method: 'POST',
      headers: { ...headers, origin: url.origin, 'content-type': 'application/json' },
      body: '{"method":"app.info","params":{}}',
    });
    assert.equal(info.status, 200);
  } finally {
    child.kill('SIGKILL');
    project.cleanup();
  }
});
