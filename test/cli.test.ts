import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/run-cli.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { startFileServer } from './helpers/http-server.ts';

const csv = 'id,name\n1,a\n2,b\n3,c\n';

async function withCsvProject(
  body: (dir: string, url: string, server: Awaited<ReturnType<typeof startFileServer>>) => Promise<void>,
): Promise<void> {
  const server = await startFileServer();
  server.serve('/data.csv', Buffer.from(csv));
  const temp = createTempProject();
  temp.writePipeline('demo', {
    variables: { url: `${server.url}/data.csv`, min_id: 2 },
    blocks: [
      { id: 'load', type: 'source', kind: 'http_file', config: { url: '{{ url }}', format: 'csv', columns: { id: 'BIGINT' } } },
      {
        id: 'pick',
        type: 'transform',
        kind: 'sql',
        file: 'blocks/pick.sql',
        upstream: ['load'],
        tests: [{ name: 'has_rows', sql: 'select 1 where (select count(*) from pick) = 0' }],
      },
      { id: 'save', type: 'export', kind: 'local_file', upstream: ['pick'], config: { path: 'out/pick.parquet' } },
    ],
  });
  temp.writeFile('blocks/pick.sql', 'select * from load where id >= {{ min_id }}');
  try {
    await body(temp.dir, `${server.url}/data.csv`, server);
  } finally {
    temp.cleanup();
    await server.close();
  }
}

test('run --json prints exactly one JSON object with the documented shape and exits 0', async () => {
  await withCsvProject(async (dir) => {
    const result = await runCli(['run', 'demo', '--project', dir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed).sort(), ['blocks', 'durationMs', 'pipeline', 'runId', 'status']);
    assert.equal(parsed.status, 'succeeded');
    const blocks = parsed.blocks as { id: string; status: string; rows: number; attempts: number; error: unknown; durationMs: number }[];
    assert.deepEqual(
      blocks.map((b) => [b.id, b.status, b.rows]),
      [
        ['load', 'succeeded', 3],
        ['pick', 'succeeded', 2],
        ['save', 'succeeded', 2],
      ],
    );
    for (const b of blocks) assert.deepEqual(Object.keys(b).sort(), ['attempts', 'durationMs', 'error', 'id', 'rows', 'status']);
    assert.match(result.stderr, /pick 1\/1 tests passed/);
    assert.match(result.stderr, /3 rows in, 2 rows out$/m);
    assert.doesNotMatch(result.stderr, /dropped/);
  });
});

test('--var overrides a variable and --block runs one block against stored outputs', async () => {
  await withCsvProject(async (dir) => {
    assert.equal((await runCli(['run', 'demo', '--project', dir])).code, 0);
    const one = await runCli(['run', 'demo', '--project', dir, '--block', 'pick', '--var', 'min_id=3', '--json']);
    assert.equal(one.code, 0, one.stderr);
    const parsed = JSON.parse(one.stdout) as { blocks: { id: string; rows: number }[] };
    assert.deepEqual(
      parsed.blocks.map((b) => [b.id, b.rows]),
      [['pick', 1]],
    );
    const down = JSON.parse((await runCli(['run', 'demo', '--project', dir, '--block', 'pick', '--downstream', '--json'])).stdout) as {
      blocks: { id: string }[];
    };
    assert.deepEqual(
      down.blocks.map((b) => b.id),
      ['pick', 'save'],
    );
  });
});

test('a failed run exits 1 and history lists it; usage and project errors exit 2', async () => {
  await withCsvProject(async (dir, _url, server) => {
    server.fail('/data.csv', { status: 404, times: 100 });
    const failed = await runCli(['run', 'demo', '--project', dir, '--json']);
    assert.equal(failed.code, 1);
    const parsed = JSON.parse(failed.stdout) as { status: string; blocks: { status: string; error: string | null }[] };
    assert.equal(parsed.status, 'failed');
    assert.match(parsed.blocks[0]?.error ?? '', /404/);
    assert.deepEqual(
      parsed.blocks.slice(1).map((b) => b.status),
      ['upstream_failed', 'upstream_failed'],
    );
    const history = await runCli(['history', '--project', dir, '--json']);
    assert.equal(history.code, 0);
    const runs = (JSON.parse(history.stdout) as { runs: { status: string; pipelineId: string }[] }).runs;
    assert.deepEqual(
      runs.map((r) => [r.pipelineId, r.status]),
      [['demo', 'failed']],
    );
    assert.equal((await runCli(['run', 'nope', '--project', dir])).code, 2);
    assert.equal((await runCli(['run', '--project', dir])).code, 2);
    assert.equal((await runCli(['frobnicate'])).code, 2);
    assert.equal((await runCli(['run', 'demo', '--project', dir, '--var', 'oops'])).code, 2);
  });
});

test('Ctrl-C cancels the run cleanly and records it as cancelled', async () => {
  await withCsvProject(async (dir, _url, server) => {
    server.fail('/data.csv', { hang: true, times: 100 });
    let sent = false;
    const result = await runCli(['run', 'demo', '--project', dir, '--json'], {
      onStderr: (text, child) => {
        // The block is running (its download hangs): Ctrl-C now.
        if (!sent && /load started/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.ok(sent, result.stderr);
    assert.equal(result.code, 1, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { status: string }).status, 'cancelled');
    const history = JSON.parse((await runCli(['history', '--project', dir, '--json'])).stdout) as { runs: { status: string }[] };
    assert.equal(history.runs[0]?.status, 'cancelled');
  });
});
