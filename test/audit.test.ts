import { test } from 'node:test';
import os from 'node:os';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import { REDACTED, redactVariables } from '../main/model/redact-variables.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { runCli } from './helpers/run-cli.ts';
import { tableFromIPC } from 'apache-arrow';

const pipeline = {
  variables: { region: 'eu', api_token: 'tok-123', db_password: { default: 'hunter2' }, aws_key: 'AKIA', batch: 5, unset_secret: null },
  blocks: [
    { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 12 } },
    { id: 'evens', type: 'transform', kind: 'sql', file: 'blocks/evens.sql', upstream: ['src'] },
  ],
};

test('a run stores who started it, both hashes, rows in and out per block, and variables with secrets redacted', async () => {
  const temp = createTempProject();
  temp.writePipeline('p', pipeline);
  temp.writeFile('blocks/evens.sql', "select *, '{{ api_token }}' as used_token from src where i % 2 = 0\n");
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const loaded = await open.loadPipeline('p');
    const events: { type: string; variables?: Record<string, unknown> }[] = [];
    const result = await open.run(
      {
        pipeline: loaded,
        scope: { kind: 'pipeline' },
        trigger: { kind: 'schedule', by: 'nightly' },
        variables: { api_token: 'override-456' },
      },
      (e) => events.push(e),
    );
    assert.equal(result.status, 'succeeded');
    const run = open.store.getRun(result.runId);
    assert.ok(run);
    assert.deepEqual(run.trigger, { kind: 'schedule', by: 'nightly' });
    assert.equal(run.osUser, os.userInfo().username, 'and the OS account that ran it, whatever the trigger');
    assert.equal(run.pipelineHash, loaded.pipelineHash);
    assert.equal(run.codeHash, loaded.codeHash);
    assert.match(run.codeHash, /^[0-9a-f]{64}$/);
    const stored = run.variables;
    assert.deepEqual(
      {
        region: stored.region,
        api_token: stored.api_token,
        db_password: stored.db_password,
        aws_key: stored.aws_key,
        batch: stored.batch,
        unset_secret: stored.unset_secret,
      },
      { region: 'eu', api_token: REDACTED, db_password: REDACTED, aws_key: REDACTED, batch: 5, unset_secret: null },
    );
    assert.equal(stored.run_id, result.runId, 'built-ins are kept');
    assert.doesNotMatch(JSON.stringify(run), /override-456|hunter2|AKIA/);
    const blocks = Object.fromEntries(run.blocks.map((b) => [b.blockId, [b.rowsIn, b.rowsOut]]));
    assert.deepEqual(blocks, { src: [null, 12], evens: [12, 6] });
    // The live event stream (the UI, alerts) is redacted too; the block itself received the real value.
    assert.equal(events.find((e) => e.type === 'run.started')?.variables?.api_token, REDACTED);
    const output = tableFromIPC((await open.workspace.preview('p', 'evens', { offset: 0, limit: 1 })).ipc);
    assert.equal(output.getChild('used_token')?.get(0), 'override-456', 'redaction is for the record, not for the run');
  } finally {
    await open.close();
    temp.cleanup();
  }
});

test('`pipewright history <run> --json` shows the audit: trigger with the OS user, hashes, redacted variables, rows per block', async () => {
  const temp = createTempProject();
  temp.writePipeline('p', {
    variables: { service_token: 'tok-cli' },
    blocks: [{ id: 'load', type: 'source', kind: 'local_file', config: { path: 'data/n.csv' } }],
  });
  temp.writeFile('data/n.csv', `n\n${[1, 2, 3, 4, 5, 6, 7].join('\n')}\n`);
  try {
    const ran = await runCli(['run', 'p', '--project', temp.dir, '--json']);
    assert.equal(ran.code, 0, ran.stderr);
    const { runId } = JSON.parse(ran.stdout) as { runId: string };
    const shown = await runCli(['history', runId, '--project', temp.dir, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const { run } = JSON.parse(shown.stdout) as {
      run: {
        trigger: { kind: string; by?: string };
        osUser: string;
        pipelineHash: string;
        variables: Record<string, unknown>;
        blocks: { blockId: string; rowsOut: number }[];
      };
    };
    assert.equal(run.trigger.kind, 'cli');
    assert.equal(typeof run.trigger.by, 'string');
    assert.equal(run.osUser, os.userInfo().username);
    assert.match(run.pipelineHash, /^[0-9a-f]{64}$/);
    assert.equal(run.variables.service_token, REDACTED);
    assert.deepEqual(
      run.blocks.map((b) => [b.blockId, b.rowsOut]),
      [['load', 7]],
    );
  } finally {
    temp.cleanup();
  }
});

test('redaction also covers secret references and names declared secret, and leaves other values alone', () => {
  const redacted = redactVariables(
    { url: { secret: 'slack_url' }, from_env: { env: 'X' }, dsn: 'postgres://u@h/db', region: 'eu', monkey_count: 3 },
    new Set(['dsn']),
  );
  assert.deepEqual(redacted, { url: REDACTED, from_env: REDACTED, dsn: REDACTED, region: 'eu', monkey_count: REDACTED });
});
