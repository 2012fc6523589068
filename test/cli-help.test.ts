import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/run-cli.ts';
import { createTempProject } from './helpers/temp-project.ts';

test("pipewright <command> --help prints that command's usage, not the whole list", async () => {
  const run = await runCli(['run', '--help']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Usage: pipewright run <pipeline> \[options\]\n/);
  assert.match(run.stdout, /--with-upstream/);
  assert.doesNotMatch(run.stdout, /backfill <pipeline>|export-history/, 'only the run command');
  const backfill = await runCli(['backfill', '-h']);
  assert.equal(backfill.code, 0);
  assert.match(backfill.stdout, /^Usage: pipewright backfill <pipeline> --from <date>/);
});

test('a refused flag prints one line naming it and where the options are', async () => {
  const result = await runCli(['run', 'p', '--bogus']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^pipewright: .*'--bogus'.*pipewright run --help.*\n$/);
  assert.equal(result.stderr.split('\n').length, 2, `one line, got:\n${result.stderr}`);
});

test('--conn naming an unknown connection is refused before the run, naming the known ones', async () => {
  const temp = createTempProject();
  temp.writeFile('connections.yaml', 'warehouse:\n  type: local_postgres\n  database: shop\nlocal_gcs:\n  type: local_gcs\n');
  temp.writePipeline('p', { blocks: [{ id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' }] });
  temp.writeFile('blocks/src.sql', 'select 1 as id\n');
  try {
    const result = await runCli(['run', 'p', '--project', temp.dir, '--conn', 'wharehouse.host=db']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--conn wharehouse\.host: no connection named wharehouse; connections: warehouse, local_gcs/);
    const history = await runCli(['history', '--project', temp.dir, '--json']);
    assert.deepEqual(JSON.parse(history.stdout), { runs: [] }, 'no run was recorded');
  } finally {
    temp.cleanup();
  }
});
