/**
 * Kill -9 harness: the real CLI runs each exporter and SIGKILLs itself at a logged point (PIPEWRIGHT_TEST_KILL_AT,
 * main/model/kill-point.ts); `--resume` then finishes the run, and the destination, read with pg and the official Google
 * clients, must hold exactly the expected rows. Postgres and the emulators run in processes of their own, so the
 * kill ends the engine and nothing else.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Storage } from '@google-cloud/storage';
import { createBigQueryClient } from '../main/cloud/bigquery-client.ts';
import { KILL_AT_ENV } from '../main/model/kill-point.ts';
import { STAGING_ROOT } from '../main/blocks/gcs-export.ts';
import { createPgProject, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';
import { runCli } from './helpers/run-cli.ts';
import type { TempProject } from './helpers/temp-project.ts';
import { killCases, SOURCE_SQL, type Destinations, type KillCase } from './helpers/kill-cases.ts';

const EMULATORS_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'emulators-child.ts');
const PROJECT_ID = 'kill-project';

let pgServer: TestPostgres;
let emulators: ChildProcess;
let emulatorDir: string;
let project: TempProject;
let destinations: Destinations;

before(async () => {
  pgServer = await startTestPostgres();
  emulatorDir = mkdtempSync(path.join(os.tmpdir(), 'pw-kill-emulators-'));
  emulators = spawn(
    process.execPath,
    ['--import', 'tsx', EMULATORS_CHILD, path.join(emulatorDir, 'gcs'), path.join(emulatorDir, 'bigquery')],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const endpoints = await firstLine(emulators, 60_000).then((line) => JSON.parse(line) as { gcs: string; bigquery: string });
  project = createPgProject(pgServer, {
    gcs: { type: 'gcs', endpoint: endpoints.gcs, project_id: PROJECT_ID, credentials: 'none' },
    bq: { type: 'bigquery', endpoint: endpoints.bigquery, project_id: PROJECT_ID, credentials: 'none' },
  });
  project.writeFile('blocks/src.sql', SOURCE_SQL);
  destinations = {
    pg: pgServer,
    storage: new Storage({ apiEndpoint: endpoints.gcs, projectId: PROJECT_ID }),
    bigquery: await createBigQueryClient({ endpoint: endpoints.bigquery, project_id: PROJECT_ID, credentials: 'none' }, project.dir, {}),
    bucket: 'kill-bucket',
    dataset: 'kill',
  };
});

after(async () => {
  emulators?.stdin?.end(); // the child stops its emulators when its stdin closes
  if (emulators) await new Promise((resolve) => (emulators.exitCode !== null ? resolve(undefined) : emulators.once('exit', resolve)));
  await pgServer?.stop();
  project?.cleanup();
  if (emulatorDir) rmSync(emulatorDir, { recursive: true, force: true });
});

/** The child's first stdout line, or a rejection after `timeoutMs` or when it exits first. */
function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulators did not start in time')), timeoutMs);
    child.once('exit', (code) => reject(new Error(`the emulators exited (${code}) before starting`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });
}

interface Outcome {
  name: string;
  passed: boolean;
  lost: number;
  doubled: number;
  detail: string;
}

/** Seeds, runs killed at the case's point, resumes, and compares the destination's rows with the expected count. */
async function runCase(kill: KillCase): Promise<Outcome> {
  const name = `${kill.exporter} killed at ${kill.killAt}`;
  project.writePipeline(kill.id, {
    blocks: [
      { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
      { id: 'out', type: 'export', kind: kill.kind, upstream: ['src'], config: kill.config },
    ],
  });
  await kill.seed?.(destinations);
  const killed = await runCli(['run', kill.id, '--project', project.dir], { env: { [KILL_AT_ENV]: kill.killAt } });
  const runId = /run (\S+) of /.exec(killed.stderr)?.[1];
  if (killed.signal !== 'SIGKILL' || !killed.stderr.includes(`kill point ${kill.killAt}`) || !runId) {
    return {
      name,
      passed: false,
      lost: 0,
      doubled: 0,
      detail: `the kill point was not reached (exit ${killed.code}, ${killed.signal}):\n${killed.stderr}`,
    };
  }
  const resumed = await runCli(['run', kill.id, '--project', project.dir, '--resume', runId]);
  const rows = await kill.count(destinations);
  const lost = Math.max(0, kill.expected - rows);
  const doubled = Math.max(0, rows - kill.expected);
  const passed = resumed.code === 0 && lost === 0 && doubled === 0;
  return {
    name,
    passed,
    lost,
    doubled,
    detail: `resume exit ${resumed.code}, ${rows} rows, expected ${kill.expected}${passed ? '' : `\n${resumed.stderr}`}`,
  };
}

test('kill -9 at logged points of every exporter, then --resume: the destination holds exactly the expected rows', async () => {
  const outcomes: Outcome[] = [];
  for (const kill of killCases()) outcomes.push(await runCase(kill));
  const passed = outcomes.filter((o) => o.passed).length;
  const lost = outcomes.reduce((sum, o) => sum + o.lost, 0);
  const doubled = outcomes.reduce((sum, o) => sum + o.doubled, 0);
  process.stdout.write(`hostile-kill: ${outcomes.length} cases, ${passed} passed, rows lost ${lost}, rows doubled ${doubled}\n`);
  const failures = outcomes.filter((o) => !o.passed).map((o) => `${o.name}: ${o.detail}`);
  assert.deepEqual(failures, [], failures.join('\n\n'));
  // The resumes' loads dropped what the kills left (a staging table filled by the killed replace).
  const staged = await pgServer.query<{ name: string }>(
    `select relname as name from pg_class where relname like '\\_pw\\_stage\\_%' and relkind = 'r'`,
  );
  assert.deepEqual(staged, [], 'no staging table is left');
  // …and the resumed GCS exports swept the objects their killed attempts had staged (stage-sweep.ts).
  const [leftovers] = await destinations.storage.bucket(destinations.bucket).getFiles({ prefix: STAGING_ROOT });
  assert.deepEqual(
    leftovers.map((f) => f.name),
    [],
    'no staged GCS object is left',
  );
});
