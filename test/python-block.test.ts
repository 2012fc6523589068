import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadedBlock } from '../main/model/project.ts';
import { loadProject } from '../main/project/load-project.ts';
import { starterCode } from '../main/project/block-templates.ts';
import { pythonExport, pythonSource, pythonTransform } from '../main/blocks/python-block.ts';
import { pythonSensor } from '../main/blocks/sensors/python-sensor.ts';
import { checkPythonBlock, checkPythonBlocks } from '../main/python/check-python.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { withPipeline } from './helpers/run-project.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { PYTHON, failedEvent, isAlive, logsOf, py, query, runAll, settings } from './helpers/python-blocks.ts';

test('an exception shows its traceback and points the error at the line of the user file that raised it', async () => {
  const code = 'import pandas as pd\n\n\ndef helper(x):\n    return x / 0\n\n\n@transform\ndef clean(df):\n    return helper(1)\n';
  await withPipeline(
    { blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 2 } }, py('clean', 'transform', ['src'])] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'clean');
      assert.equal(failed.error.kind, 'user');
      assert.deepEqual(failed.error.place, { block: 'clean', file: 'blocks/clean.py', line: 5 });
      assert.match(failed.error.message, /^ZeroDivisionError: division by zero/);
      assert.match(
        failed.error.message,
        /File "blocks\/clean.py", line 10, in clean\n {4}return helper\(1\)\n {2}File "blocks\/clean.py", line 5, in helper/,
      );
      assert.doesNotMatch(failed.error.message, /pw_harness/);
    },
    { settings, files: { 'blocks/clean.py': code } },
  );
});

test('a syntax error names the line and column before anything runs', async () => {
  await withPipeline(
    { blocks: [py('bad', 'source')] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'bad');
      assert.equal(failed.error.place?.file, 'blocks/bad.py');
      assert.equal(failed.error.place?.line, 3);
      assert.match(failed.error.message, /SyntaxError/);
    },
    { settings, files: { 'blocks/bad.py': '@source\ndef load():\n    return 1 +\n' } },
  );
});

test('print and logging output arrive as log lines while the block still runs, with their levels', async () => {
  const code = [
    'import logging, time, os',
    '',
    '',
    '@source',
    'def load(**kwargs):',
    "    print('first line', flush=True)",
    "    logging.getLogger('mine').warning('careful')",
    "    while not os.path.exists('go'):",
    '        time.sleep(0.02)',
    "    print('after go')",
    '    import pandas as pd',
    "    return pd.DataFrame({'a': [1]})",
    '',
  ].join('\n');
  await withPipeline(
    { blocks: [py('talk', 'source')] },
    async (ctx) => {
      const running = runAll(ctx);
      await waitUntil(() => logsOf(ctx.events, 'talk').includes('careful'), {
        what: 'the warning to arrive while the block waits',
        timeoutMs: 20_000,
      });
      assert.ok(logsOf(ctx.events, 'talk').includes('first line'));
      assert.ok(!logsOf(ctx.events, 'talk').includes('after go'));
      ctx.temp.writeFile('go', '');
      const result = await running;
      assert.equal(result.status, 'succeeded');
      const warn = ctx.events.find((e) => e.type === 'log.written' && e.message === 'careful');
      assert.equal(warn?.type === 'log.written' ? warn.level : undefined, 'warn');
      assert.ok(logsOf(ctx.events, 'talk').includes('after go'));
    },
    { settings, files: { 'blocks/talk.py': code } },
  );
});

const SPIN_PY = (pidFile: string) =>
  [
    'import os, subprocess',
    '',
    '',
    '@source',
    'def spin(**kwargs):',
    "    child = subprocess.Popen(['sleep', '300'])",
    `    with open(${JSON.stringify(pidFile)}, 'w') as f:`,
    "        f.write(f'{os.getpid()} {child.pid}')",
    '    while True:',
    '        pass',
    '',
  ].join('\n');

function pidsIn(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split(' ').map(Number);
}

test('a timeout kills a while True block and the processes it started', async () => {
  await withPipeline(
    { blocks: [py('spin', 'source', [], { timeout: 4 })] },
    async (ctx) => {
      const pidFile = path.join(ctx.temp.dir, 'pids');
      ctx.temp.writeFile('blocks/spin.py', SPIN_PY(pidFile));
      const started = Date.now();
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'spin');
      assert.match(failed.error.message, /timed out after 4 s/);
      assert.ok(Date.now() - started < 15_000, `the run took ${Date.now() - started} ms`);
      for (const pid of pidsIn(pidFile)) await waitUntil(() => !isAlive(pid), { what: `process ${pid} to end`, timeoutMs: 20_000 });
    },
    { settings, files: { 'blocks/spin.py': '' } },
  );
});

test('cancelling the run kills the Python process and its children', async () => {
  await withPipeline(
    { blocks: [py('spin', 'source')] },
    async (ctx) => {
      const pidFile = path.join(ctx.temp.dir, 'pids');
      ctx.temp.writeFile('blocks/spin.py', SPIN_PY(pidFile));
      const controller = new AbortController();
      const running = runAll(ctx, controller.signal);
      await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '), {
        what: 'the block to start',
        timeoutMs: 20_000,
      });
      controller.abort();
      const result = await running;
      assert.equal(result.status, 'cancelled');
      for (const pid of pidsIn(pidFile)) await waitUntil(() => !isAlive(pid), { what: `process ${pid} to end`, timeoutMs: 20_000 });
    },
    { settings, files: { 'blocks/spin.py': '' } },
  );
});

test('a missing interpreter is a clear error naming python: in pipewright.yaml', async () => {
  await withPipeline(
    { blocks: [py('load', 'source')] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'load');
      assert.equal(failed.error.kind, 'user');
      assert.match(
        failed.error.message,
        /block load needs the Python interpreter \.venv\/bin\/python \(python: in pipewright\.yaml\), which does not exist/,
      );
    },
    { settings: { python: '.venv/bin/python' }, files: { 'blocks/load.py': '@source\ndef load():\n    pass\n' } },
  );
});

test('a missing module is named with the pip command and the line that imports it', async () => {
  const code = 'import pandas as pd\nimport no_such_module_pw\n\n\n@source\ndef load():\n    return pd.DataFrame()\n';
  await withPipeline(
    { blocks: [py('clean_trips', 'source')] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'clean_trips');
      assert.equal(failed.error.message, `block clean_trips needs no_such_module_pw: \`${PYTHON} -m pip install no_such_module_pw\``);
      assert.deepEqual(failed.error.place, { block: 'clean_trips', file: 'blocks/clean_trips.py', line: 2 });
    },
    { settings, files: { 'blocks/clean_trips.py': code } },
  );
});

test('a module missing only at run time (imported inside the function) is named too', async () => {
  const code = '@source\ndef load():\n    try:\n        import lazy_missing_pw\n    finally:\n        pass\n';
  await withPipeline(
    { blocks: [py('lazy', 'source')] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'lazy');
      assert.match(failed.error.message, /^block lazy needs lazy_missing_pw: `\/usr\/bin\/python3 -m pip install lazy_missing_pw`/);
      assert.equal(failed.error.place?.line, 4);
    },
    { settings, files: { 'blocks/lazy.py': code } },
  );
});

test('the function gets upstream DataFrames positionally and the run variables, dates and ids as kwargs', async () => {
  const code = [
    'import pandas as pd',
    '',
    '',
    '@transform',
    'def combine(left, right, *, city, execution_date, interval_start, run_id, block_id, pipeline_id):',
    '    return pd.DataFrame({',
    "        'rows': [len(left) + len(right)], 'city': [city], 'year': [execution_date.year], 'tz': [str(execution_date.tzinfo)],",
    "        'start': [interval_start.isoformat()], 'run_id': [run_id], 'block_id': [block_id], 'pipeline_id': [pipeline_id],",
    '    })',
    '',
  ].join('\n');
  await withPipeline(
    {
      variables: { city: 'nyc' },
      blocks: [
        { id: 'a', type: 'source', kind: 'test_rows', config: { rows: 2 } },
        { id: 'b', type: 'source', kind: 'test_rows', config: { rows: 3 } },
        py('combine', 'transform', ['a', 'b']),
      ],
    },
    async (ctx) => {
      const result = await runAll(ctx, undefined, { city: 'paris', execution_date: '2021-03-04T05:06:07Z' });
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const { rows } = await query(ctx, 'select * from p.combine');
      assert.deepEqual(rows[0], {
        rows: 5n,
        city: 'paris',
        year: 2021n,
        tz: 'UTC',
        start: '2021-03-04T00:00:00+00:00',
        run_id: result.runId,
        block_id: 'combine',
        pipeline_id: 'p',
      });
    },
    { settings, files: { 'blocks/combine.py': code } },
  );
});

test('a failing @test fails the block with the assertion and its line, and the output is not published', async () => {
  const code = [
    'import pandas as pd',
    '',
    '',
    '@source',
    'def load():',
    "    return pd.DataFrame({'n': [1, None]})",
    '',
    '',
    '@test',
    'def test_no_nulls(output):',
    "    assert output['n'].notna().all()",
    '',
    '',
    '@test',
    'def test_count(output):',
    '    assert len(output) == 2',
    '',
  ].join('\n');
  await withPipeline(
    { blocks: [py('load', 'source')] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'load');
      assert.deepEqual(failed.tests, [
        {
          name: 'test_no_nulls',
          passed: false,
          message:
            "AssertionError: assert output['n'].notna().all()\n  File \"blocks/load.py\", line 11, in test_no_nulls\n    assert output['n'].notna().all() (blocks/load.py:11)",
        },
        { name: 'test_count', passed: true },
      ]);
      assert.match(failed.error.message, /^test test_no_nulls failed: AssertionError/);
      assert.equal(await ctx.open.workspace.latestOutput('p', 'load'), undefined);
    },
    { settings, files: { 'blocks/load.py': code } },
  );
});

test('an export by code reads its upstream, writes where it likes and has no output', async () => {
  const code = [
    'import pandas as pd',
    '',
    '',
    '@export',
    'def save(df, **kwargs):',
    "    df.to_json('out.json', orient='records')",
    "    print(f'saved {len(df)} rows')",
    '',
  ].join('\n');
  await withPipeline(
    { blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 3, label: 'x' } }, py('save', 'export', ['src'])] },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const saved = JSON.parse(readFileSync(path.join(ctx.temp.dir, 'out.json'), 'utf8')) as { i: number; label: string }[];
      assert.deepEqual(saved.map((r) => r.i).sort(), [0, 1, 2]);
      assert.ok(logsOf(ctx.events, 'save').includes('saved 3 rows'));
      assert.equal(await ctx.open.workspace.latestOutput('p', 'save'), undefined);
    },
    { settings, files: { 'blocks/save.py': code } },
  );
});

test('a function that returns something other than a DataFrame is told what it returned, at its def line', async () => {
  await withPipeline(
    { blocks: [py('load', 'source')] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'load');
      assert.equal(
        failed.error.message,
        'the source function load returned NoneType (is a return statement missing?): return a pandas DataFrame (or a list of dicts, one per row)',
      );
      assert.equal(failed.error.place?.line, 3);
    },
    { settings, files: { 'blocks/load.py': '\n@source\ndef load():\n    x = 1\n' } },
  );
});

test('the starter templates of a Python source, transform and export run as written, their @test included', async () => {
  const files = {
    'blocks/load.py': starterCode(pythonSource, 'load', []),
    'blocks/shape.py': starterCode(pythonTransform, 'shape', ['load']),
    'blocks/send.py': starterCode(pythonExport, 'send', ['shape']),
  };
  await withPipeline(
    { blocks: [py('load', 'source'), py('shape', 'transform', ['load']), py('send', 'export', ['shape'])] },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const shaped = ctx.events.find((e) => e.type === 'block.succeeded' && e.blockId === 'shape');
      assert.ok(shaped?.type === 'block.succeeded');
      assert.deepEqual(shaped.tests, [{ name: 'test_has_rows', passed: true }]);
      assert.ok(logsOf(ctx.events, 'send').includes('3 rows'));
    },
    { settings, files },
  );
});

test('the starter template of a Python sensor waits until its function returns True', async () => {
  const files = { 'blocks/ready.py': starterCode(pythonSensor, 'ready', []), 'landing/ready.txt': '' };
  await withPipeline(
    {
      blocks: [
        { id: 'ready', type: 'sensor', kind: 'python', file: 'blocks/ready.py', config: { interval_seconds: 0.05, timeout_seconds: 60 } },
      ],
    },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      assert.ok(
        logsOf(ctx.events, 'ready').some((l) => /^found True after 1 check/.test(l)),
        logsOf(ctx.events, 'ready').join('\n'),
      );
    },
    { settings, files },
  );
});

test("checkPythonBlock reports a missing pandas with the environment's own pip, and each missing import at its line, without running the file", async () => {
  const temp = createTempProject({ python: '.venv/bin/python' });
  try {
    // A stand-in virtual environment whose interpreter sees no site-packages, so pandas is not there.
    temp.writeFile('.venv/pyvenv.cfg', 'home = /usr/bin\n');
    temp.writeFile('.venv/bin/pip', '#!/bin/sh\nexit 1\n');
    temp.writeFile('.venv/bin/python', `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
    chmodSync(path.join(temp.dir, '.venv/bin/python'), 0o755);
    chmodSync(path.join(temp.dir, '.venv/bin/pip'), 0o755);
    temp.writeFile(
      'blocks/clean_trips.py',
      "import os\ntry:\n    import optional_pw_thing\nexcept ImportError:\n    pass\nimport sklearn.linear_model\nopen('ran', 'w')\n",
    );
    const project = await loadProject(temp.dir);
    const block = {
      id: 'clean_trips',
      type: 'transform',
      kind: 'python',
      file: 'blocks/clean_trips.py',
      upstream: [],
      config: {},
      tests: [],
      testCode: {},
    } as LoadedBlock;
    const check = await checkPythonBlock(project, block);
    assert.deepEqual(
      check.problems.map((p) => [p.message, p.place.line]),
      [
        ['block clean_trips needs pandas: `.venv/bin/pip install pandas`', undefined],
        ['block clean_trips needs sklearn.linear_model: `.venv/bin/pip install scikit-learn`', 6],
      ],
    );
    assert.equal(check.hasPyarrow, false);
    assert.ok(!existsSync(path.join(temp.dir, 'ran')), 'the check executed the block file');
  } finally {
    temp.cleanup();
  }
});

test('a block that prints without end keeps the first 5,000 lines in the log and counts the rest', async () => {
  const code =
    "import pandas as pd\n\n\n@source\ndef load():\n    for i in range(5300):\n        print('line', i)\n    return pd.DataFrame({'a': [1]})\n";
  await withPipeline(
    { blocks: [py('chatty', 'source')] },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded');
      const lines = logsOf(ctx.events, 'chatty').filter((m) => m.startsWith('line '));
      assert.equal(lines.length, 5000);
      assert.equal(lines.at(-1), 'line 4999');
      assert.ok(logsOf(ctx.events, 'chatty').includes('300 more lines of output were not kept'));
    },
    { settings, files: { 'blocks/chatty.py': code } },
  );
});

test('when the process running a Python block dies, the Python process and what it started stop too', async () => {
  const temp = createTempProject(settings);
  const pidFile = path.join(temp.dir, 'pids');
  temp.writeFile('blocks/spin.py', SPIN_PY(pidFile));
  temp.writePipeline('p', { blocks: [py('spin', 'source')] });
  const openProjectModule = path.resolve(import.meta.dirname, '../main/runtime/open-project.ts');
  const script = `const { openProject } = await import(${JSON.stringify(openProjectModule)});
    const open = await openProject(${JSON.stringify(temp.dir)});
    await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });`;
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
  try {
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '), {
      what: 'the block to start',
      timeoutMs: 60_000,
    });
    owner.kill('SIGKILL');
    for (const pid of pidsIn(pidFile))
      await waitUntil(() => !isAlive(pid), { what: `process ${pid} to end after its owner died`, timeoutMs: 20_000 });
  } finally {
    owner.kill('SIGKILL');
    temp.cleanup();
  }
});

test('checkPythonBlocks lists the problems of every Python block of a pipeline and leaves other blocks alone', async () => {
  await withPipeline(
    {
      blocks: [
        { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1 } },
        py('fine', 'transform', ['src']),
        py('broken', 'transform', ['src']),
      ],
    },
    async (ctx) => {
      const problems = await checkPythonBlocks(ctx.open.project, await ctx.open.loadPipeline('p'));
      assert.deepEqual(
        problems.map((p) => [p.place.block, p.place.file, p.place.line]),
        [['broken', 'blocks/broken.py', 2]],
      );
      assert.match(problems[0]?.message ?? '', /^SyntaxError: /);
    },
    {
      settings,
      files: {
        'blocks/fine.py': '@transform\ndef fine(df):\n    return df\n',
        'blocks/broken.py': '@transform\ndef broken(df) return df\n',
      },
    },
  );
});

test('exchange: parquet without pyarrow is refused with the install command, before anything runs', async () => {
  await withPipeline(
    { blocks: [py('load', 'source', [], { config: { exchange: 'parquet' } })] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'load');
      assert.equal(
        failed.error.message,
        `block load needs pyarrow for exchange: parquet: \`${PYTHON} -m pip install pyarrow\`, or set exchange: auto`,
      );
      assert.equal(failed.error.place?.path, 'config.exchange');
      assert.ok(!existsSync(path.join(ctx.temp.dir, 'ran')), 'the block ran');
    },
    {
      settings,
      files: {
        'blocks/load.py': "import pandas as pd\n\n\n@source\ndef load():\n    open('ran', 'w')\n    return pd.DataFrame({'a': [1]})\n",
      },
    },
  );
});

test('a network failure in the block is retried like any operational error; a bug in the code is not', async () => {
  const flaky = [
    'import os',
    'import pandas as pd',
    '',
    '',
    '@source',
    'def load():',
    "    if not os.path.exists('tried'):",
    "        open('tried', 'w').close()",
    "        raise ConnectionResetError('the API hung up')",
    "    return pd.DataFrame({'a': [1]})",
    '',
  ].join('\n');
  const buggy = "@source\ndef bug():\n    return {}['missing']\n";
  await withPipeline(
    {
      blocks: [
        py('flaky', 'source', [], { retry: { retries: 2, delay: 0 } }),
        py('bug', 'source', [], { retry: { retries: 2, delay: 0 } }),
      ],
    },
    async (ctx) => {
      await runAll(ctx);
      const retried = ctx.events.find((e) => e.type === 'block.retrying' && e.blockId === 'flaky');
      assert.ok(retried?.type === 'block.retrying');
      assert.equal(retried.error.kind, 'operational');
      assert.match(retried.error.message, /^ConnectionResetError: the API hung up/);
      assert.ok(ctx.events.some((e) => e.type === 'block.succeeded' && e.blockId === 'flaky' && e.attempt === 2));
      const failed = failedEvent(ctx.events, 'bug');
      assert.equal(failed.attempt, 1);
      assert.equal(failed.error.kind, 'user');
    },
    { settings, files: { 'blocks/flaky.py': flaky, 'blocks/bug.py': buggy } },
  );
});

test('a file with two @transform functions, or none for its block type, says which it has', async () => {
  const two = '@transform\ndef a(df):\n    return df\n\n\n@transform\ndef b(df):\n    return df\n';
  const wrong = '@transform\ndef load():\n    pass\n';
  await withPipeline(
    {
      blocks: [
        { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1 } },
        py('two', 'transform', ['src']),
        py('wrong', 'source'),
      ],
    },
    async (ctx) => {
      await runAll(ctx);
      const twice = failedEvent(ctx.events, 'two');
      assert.equal(twice.error.message, 'blocks/two.py has 2 @transform functions (a, b): keep one, or name it in config.function');
      assert.equal(twice.error.place?.line, 7);
      const none = failedEvent(ctx.events, 'wrong');
      assert.equal(
        none.error.message,
        'blocks/wrong.py has no @source function: decorate the function this source block runs with @source; it has @transform load',
      );
    },
    { settings, files: { 'blocks/two.py': two, 'blocks/wrong.py': wrong } },
  );
});

test('a Python child of a dynamic SQL block gets its item in kwargs, BIGINT columns included', async () => {
  const code =
    "import pandas as pd\n\n\n@transform\ndef per_month(months, **kwargs):\n    item = kwargs['item']\n    return pd.DataFrame({'month': [item['month']], 'big': [item['big']], 'rows_seen': [len(months)]})\n";
  await withPipeline(
    {
      blocks: [
        { id: 'months', type: 'source', kind: 'sql', file: 'blocks/months.sql', dynamic: true },
        py('per_month', 'transform', ['months'], { reduce: true }),
      ],
    },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const { rows, types } = await query(ctx, 'SELECT month, big, rows_seen FROM p.per_month ORDER BY month');
      assert.deepEqual(
        rows.map((r) => [Number(r.month), String(r.big), Number(r.rows_seen)]),
        [
          [1, '9007199254740993', 2],
          [2, '9007199254740994', 2],
        ],
      );
      assert.equal(types.big, 'BIGINT', 'an integer past 2**53 crosses as an exact int');
    },
    {
      settings,
      files: {
        'blocks/months.sql': 'SELECT range::BIGINT AS month, 9007199254740992 + range AS big FROM range(1, 3)',
        'blocks/per_month.py': code,
      },
    },
  );
});

test('a Python sensor that never returns True times out saying what it waited for; one that returns no bool is told so at its def line', async () => {
  const never = '@sensor\ndef never(**kwargs):\n    return False\n';
  const vague = '\n@sensor\ndef vague(**kwargs):\n    return 1\n';
  const sensor = (id: string) => ({
    id,
    type: 'sensor',
    kind: 'python',
    file: `blocks/${id}.py`,
    config: { interval_seconds: 0.05, timeout_seconds: 1 },
    retry: { retries: 0 },
  });
  await withPipeline(
    { blocks: [sensor('never'), sensor('vague')] },
    async (ctx) => {
      await runAll(ctx);
      const timedOut = failedEvent(ctx.events, 'never');
      assert.match(timedOut.error.message, /^timed out after 1 s waiting for @sensor in blocks\/never.py to return True \(\d+ checks?\)$/);
      const wrong = failedEvent(ctx.events, 'vague');
      assert.equal(wrong.error.message, 'the @sensor function vague returned int, not True or False');
      assert.deepEqual(wrong.error.place, { block: 'vague', file: 'blocks/vague.py', line: 3 });
    },
    { settings, files: { 'blocks/never.py': never, 'blocks/vague.py': vague } },
  );
});
