/**
 * Staged uploads of killed GCS exports are swept by the next export to the bucket once their lease expired
 * (main/cloud/gcs-export/stage-lease.ts); a live export's staging (fresh lease) is never touched. The real CLI is
 * killed at a logged point (PIPEWRIGHT_TEST_KILL_AT); the bucket is read with the official client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { KILL_AT_ENV } from '../main/model/kill-point.ts';
import { LEASE_SECONDS_ENV, StageLease } from '../main/cloud/gcs-export/stage-lease.ts';
import { STAGING_ROOT } from '../main/blocks/gcs-export.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';
import { runCli } from './helpers/run-cli.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';

const BUCKET = 'sweep-bucket';
let gcs: GcsFixture;
let project: TempProject;

before(async () => {
  gcs = await startGcsFixture();
  project = createTempProject();
  project.writeFile(
    'connections.yaml',
    stringify({ gcs: { type: 'gcs', endpoint: gcs.emulator.url, project_id: 'test-project', credentials: 'none' } }),
  );
  project.writeFile('blocks/src.sql', 'select range as id, range % 3 as part from range(500)\n');
  for (const id of ['dead_export', 'live_export', 'other_export']) {
    project.writePipeline(id, {
      blocks: [
        { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
        {
          id: 'out',
          type: 'export',
          kind: 'gcs',
          upstream: ['src'],
          config: { connection: 'gcs', bucket: BUCKET, create_bucket: true, format: 'csv', path: `${id}/`, partition_by: ['part'] },
        },
      ],
    });
  }
});

after(async () => {
  await gcs?.close();
  project?.cleanup();
});

/** Runs a pipeline killed once its objects are staged; resolves to its run id. */
async function runKilledAfterStaging(pipeline: string, env: Record<string, string> = {}): Promise<string> {
  const killed = await runCli(['run', pipeline, '--project', project.dir], { env: { [KILL_AT_ENV]: 'gcs.replace.staged', ...env } });
  const runId = /run (\S+) of /.exec(killed.stderr)?.[1];
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.ok(runId, killed.stderr);
  return runId;
}

/** Names under the staging root that belong to a run (its lease and staged objects). */
async function stagedOf(runId: string): Promise<string[]> {
  const [files] = await gcs.storage.bucket(BUCKET).getFiles({ prefix: `${STAGING_ROOT}${runId.replace(/[^A-Za-z0-9_-]/g, '_')}/` });
  return files.map((f) => f.name);
}

test("a killed export's staging is swept by the next export to the bucket once its lease expired; a live one's is kept", async () => {
  // 1. Two exports killed with their objects staged: one with a 1 s lease, one with the default (10 min), which from
  // the bucket looks exactly like an export running right now in another process.
  // The live one runs first: the dead one's own sweep must keep it.
  const liveRun = await runKilledAfterStaging('live_export');
  const deadRun = await runKilledAfterStaging('dead_export', { [LEASE_SECONDS_ENV]: '1' });
  const deadStaged = await stagedOf(deadRun);
  const liveStaged = await stagedOf(liveRun);
  assert.ok(deadStaged.some((n) => n.endsWith('.lease')) && deadStaged.length > 1, `dead run staged: ${deadStaged.join(', ')}`);
  assert.ok(liveStaged.some((n) => n.endsWith('.lease')) && liveStaged.length > 1, `live run staged: ${liveStaged.join(', ')}`);

  // 2. Once the short lease's expiry (as written in it) has passed, another pipeline exports to the same bucket.
  const [deadLease] = (await gcs.storage.bucket(BUCKET).getFiles({ prefix: STAGING_ROOT }))[0].filter(
    (f) => f.name.endsWith('.lease') && deadStaged.includes(f.name),
  );
  const expiresAt = Date.parse(String(deadLease?.metadata.metadata?.pipewright_expires_at));
  assert.ok(Number.isFinite(expiresAt), 'the lease says when it expires');
  await waitUntil(() => Date.now() > expiresAt, { what: "the killed export's lease to expire" });
  const other = await runCli(['run', 'other_export', '--project', project.dir]);
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, new RegExp(`removed ${deadStaged.length - 1} staged uploads`));

  // 3. The dead stage is gone, lease and all; the live one is untouched; the other export left nothing staged.
  assert.deepEqual(await stagedOf(deadRun), []);
  assert.deepEqual(await stagedOf(liveRun), liveStaged);
  const [published] = await gcs.storage.bucket(BUCKET).getFiles({ prefix: 'other_export/' });
  assert.equal(published.length, 3, 'the sweeping export published its own objects');

  // 4. Resuming the live-looking run sweeps its own earlier attempt's staging (same origin run and block) at once.
  const resumed = await runCli(['run', 'live_export', '--project', project.dir, '--resume', liveRun]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const [left] = await gcs.storage.bucket(BUCKET).getFiles({ prefix: STAGING_ROOT });
  assert.deepEqual(
    left.map((f) => f.name),
    [],
    'nothing is left staged',
  );
});

test('a lease is refreshed while its export runs; one taken over by a sweep stops the export before it publishes', async () => {
  const bucket = gcs.storage.bucket('lease-bucket');
  await bucket.create();
  process.env[LEASE_SECONDS_ENV] = '0.3'; // a heartbeat every 100 ms
  try {
    const heartbeatErrors: unknown[] = [];
    const lease = await StageLease.acquire(bucket, `${STAGING_ROOT}r1/out/a1/`, { originRunId: 'r1', blockId: 'out' }, (error) =>
      heartbeatErrors.push(error),
    );
    const generationOf = async () => String((await bucket.file(lease.name).getMetadata())[0].generation);
    const first = await generationOf();
    await waitUntil(async () => (await generationOf()) !== first, { what: 'the heartbeat to rewrite the lease' });
    await lease.confirm();
    assert.deepEqual(heartbeatErrors, []);
    // A sweeper judged it expired and deleted it (the owner was paused, say): the export must not publish.
    await bucket.file(lease.name).delete();
    await assert.rejects(lease.confirm(), /staging lease .* was taken over/);
    await lease.release();
    assert.deepEqual(
      (await bucket.getFiles())[0].map((f) => f.name),
      [],
    );
  } finally {
    delete process.env[LEASE_SECONDS_ENV];
  }
});
