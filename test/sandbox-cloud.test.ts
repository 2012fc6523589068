import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { CLI_ENTRY, runCli } from './helpers/run-cli.ts';
import { createTempProject } from './helpers/temp-project.ts';

const configDir = mkdtempSync(path.join(os.tmpdir(), 'pw-config-'));
before(() => {
  // The CLI children inherit this: the local Postgres password's key file goes to a temp folder.
  process.env.PIPEWRIGHT_CONFIG_DIR = configDir;
});
after(() => rmSync(configDir, { recursive: true, force: true }));

test('sandbox starts the GCS and BigQuery emulators, prints their YAML, lends them to runs, and stops them on Ctrl-C', async () => {
  const temp = createTempProject({ default_connections: { gcs: 'local_gcs' } });
  temp.writeFile('connections.yaml', JSON.stringify({ local_gcs: { type: 'local_gcs' }, local_pg: { type: 'local_postgres' } }));
  temp.writeFile('data/sales.csv', 'day,amount\n2024-01-01,1\n2024-01-02,2\n');
  temp.writePipeline('p', {
    blocks: [
      { id: 'sales', type: 'source', kind: 'local_file', config: { path: 'data/sales.csv' } },
      {
        id: 'to_gcs',
        type: 'export',
        kind: 'gcs',
        upstream: ['sales'],
        config: { bucket: 'lake', create_bucket: true, path: 'sales.parquet' },
      },
    ],
  });
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'sandbox', '--project', temp.dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('press Ctrl-C')) resolve();
      });
      child.on('close', () => reject(new Error(`sandbox exited early: ${out}`)));
    });
    const gcsUrl = /GCS emulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const bqUrl = /BigQuery emulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(gcsUrl && bqUrl, out);
    assert.match(out, /local_gcs:\n {4}type: local_gcs/);
    assert.match(out, new RegExp(`sandbox_gcs:\\n {4}type: gcs\\n {4}endpoint: ${gcsUrl}\\n {4}credentials: none`));
    assert.match(out, new RegExp(`sandbox_bq:\\n {4}type: bigquery\\n {4}endpoint: ${bqUrl}`));

    const run = await runCli(['run', 'p', '--project', temp.dir, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /started the local GCS emulator/, "the run used the sandbox's emulator");
    const [files] = await new Storage({ apiEndpoint: gcsUrl, projectId: 'pipewright-local' }).bucket('lake').getFiles();
    assert.deepEqual(
      files.map((f) => f.name),
      ['sales.parquet'],
    );
    const datasets = await fetch(`${bqUrl}/bigquery/v2/projects/pipewright-local/datasets`);
    assert.equal(datasets.status, 200);

    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.match(out, /stopped/);
    await assert.rejects(fetch(`${gcsUrl}/storage/v1/b?project=x`), 'the GCS emulator stopped');
    await assert.rejects(fetch(`${bqUrl}/bigquery/v2/projects/x/datasets`), 'the BigQuery emulator stopped');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    temp.cleanup();
  }
});
