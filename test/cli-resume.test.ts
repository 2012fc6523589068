import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTempProject } from './helpers/temp-project.ts';
import { runCli } from './helpers/run-cli.ts';

test('run --resume re-runs only the blocks an earlier run did not finish, with its variables and execution date', async () => {
  const temp = createTempProject();
  temp.writeFile('blocks/base.sql', "select range as v, '{{ ds }}' as day from range(4)\n");
  temp.writeFile('blocks/total.sql', 'select sum(nope) as total from base\n');
  temp.writePipeline('p', {
    variables: { label: 'x' },
    blocks: [
      { id: 'base', type: 'source', kind: 'sql', file: 'blocks/base.sql' },
      { id: 'total', type: 'transform', kind: 'sql', file: 'blocks/total.sql', upstream: ['base'] },
    ],
  });
  try {
    const failed = await runCli(['run', 'p', '--project', temp.dir, '--var', 'label=y', '--var', 'execution_date=2021-02-03', '--json']);
    assert.equal(failed.code, 1);
    const failedRun = JSON.parse(failed.stdout) as { runId: string };
    temp.writeFile('blocks/total.sql', "select sum(v) as total, any_value(day) as day, '{{ label }}' as label from base\n");
    const resumed = await runCli(['run', 'p', '--project', temp.dir, '--resume', failedRun.runId, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const result = JSON.parse(resumed.stdout) as { runId: string; blocks: { id: string; status: string }[] };
    assert.deepEqual(
      result.blocks.map((b) => `${b.id}:${b.status}`),
      ['total:succeeded'],
      'base succeeded before and is read from its stored output',
    );
    const history = await runCli(['history', result.runId, '--project', temp.dir, '--json']);
    const { run } = JSON.parse(history.stdout) as { run: { variables: Record<string, unknown> } };
    assert.equal(run.variables.label, 'y');
    assert.equal(run.variables.ds, '2021-02-03');
    const wrong = await runCli(['run', 'other', '--project', temp.dir, '--resume', failedRun.runId]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /is a run of p, not other/);
  } finally {
    temp.cleanup();
  }
});
