import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { z } from 'zod';
import type { BlockKind } from '../main/engine/block-kind.ts';
import { checkWireSchema, wireFileSelect, writeWireFile } from '../main/python/exchange-sql.ts';
import type { RunEvent } from '../main/engine/run-events.ts';
import type { LoadedBlock } from '../main/project/model.ts';
import { loadProject } from '../main/project/load-project.ts';
import { starterCode } from '../main/project/block-templates.ts';
import { pythonExport, pythonSource, pythonTransform } from '../main/blocks/python-block.ts';
import { checkPythonBlock } from '../main/python/check-python.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { withPipeline, type ProjectRun } from './helpers/run-project.ts';

/** Debian's interpreter: it has pandas 1.5 and no pyarrow, so these tests run the CSV exchange. */
const PYTHON = '/usr/bin/python3';
const settings = { python: PYTHON };

function py(id: string, type: 'source' | 'transform' | 'export', upstream: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type, kind: 'python', file: `blocks/${id}.py`, upstream, ...extra };
}

async function runAll(ctx: ProjectRun, signal?: AbortSignal, variables?: Record<string, unknown>) {
  return ctx.run({ pipeline: await ctx.open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' }, ...(signal ? { signal } : {}), ...(variables ? { variables } : {}) });
}

function failedEvent(events: RunEvent[], blockId: string): Extract<RunEvent, { type: 'block.failed' }> {
  const failed = events.find((e) => e.type === 'block.failed' && e.blockId === blockId);
  assert.ok(failed?.type === 'block.failed', `${blockId} did not fail: ${JSON.stringify(events.filter((e) => 'blockId' in e && e.blockId === blockId))}`);
  return failed;
}

function logsOf(events: RunEvent[], blockId: string): string[] {
  return events.flatMap((e) => (e.type === 'log.written' && e.blockId === blockId ? [e.message] : []));
}

/** Rows of an ad-hoc workspace query, as plain objects. */
async function query(ctx: ProjectRun, sql: string): Promise<{ rows: Record<string, unknown>[]; types: Record<string, string> }> {
  const result = await ctx.open.workspace.query(sql, { offset: 0, limit: 1000 });
  const rows = tableFromIPC(result.ipc).toArray().map((r) => r.toJSON() as Record<string, unknown>);
  return { rows, types: Object.fromEntries(result.columns.map((c) => [c.name, c.type])) };
}

/** Resolves once `check` holds, polling; fails after `ms`. */
async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const EVERY_TYPE_SQL = `
select * from (values
  (1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT, 5::UTINYINT, 6::UBIGINT, 7::BIGINT, 1.5::FLOAT, 0.1::DOUBLE, 'nan'::DOUBLE,
   true, false, 'héllo, "world"' || chr(10) || 'line 2', '', 12.50::DECIMAL(10,2), 123456789012345678.123456789::DECIMAL(38,9),
   TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05.5+00', TIMESTAMP_NS '2024-01-02 03:04:05.123456789',
   DATE '2024-02-29', TIME '12:34:56.789', '\\x00\\xffab'::BLOB, 170141183460469231731687303715884105727::HUGEINT, [1, 2], {'a': 1}),
  (NULL, NULL, NULL, NULL, NULL, NULL, '-9223372036854775808'::BIGINT, NULL, NULL, NULL,
   NULL, true, NULL, NULL, NULL, NULL, TIMESTAMP '1970-01-01 00:00:00', NULL, NULL, DATE '0001-01-01', NULL, NULL, NULL, NULL, NULL),
  (-1::TINYINT, -2::SMALLINT, -3::INTEGER, -4::BIGINT, 255::UTINYINT, 18446744073709551615::UBIGINT, 9223372036854775807::BIGINT,
   -1.25::FLOAT, 1e300::DOUBLE, -0.0::DOUBLE, NULL, true, 'x', NULL, -0.01::DECIMAL(10,2), 0::DECIMAL(38,9), TIMESTAMP '1900-01-01 00:00:00.000001',
   TIMESTAMPTZ '1969-12-31 23:59:59.999999+00', TIMESTAMP_NS '2262-04-11 00:00:00', DATE '9999-12-31', TIME '00:00:00', ''::BLOB, -1::HUGEINT, [], {'a': NULL})
) t(ti, si, i, bi, uti, ubi, bi_full, f, d, d_nan, b, b_full, s, s_empty, dec, dec_wide, ts, tstz, ts_ns, dt, tm, bl, hi, list, struct)
`;

const IDENTITY_PY = `import pandas as pd
import datetime, decimal


@transform
def identity(df):
    print(dict(df.dtypes.astype(str)))
    return df


@test
def test_pandas_types(output):
    dtypes = dict(output.dtypes.astype(str))
    assert dtypes['ti'] == 'Int8' and dtypes['bi'] == 'Int64' and dtypes['ubi'] == 'UInt64', dtypes
    assert dtypes['bi_full'] == 'int64' and dtypes['b'] == 'boolean' and dtypes['b_full'] == 'bool', dtypes
    assert dtypes['f'] == 'float32' and dtypes['d'] == 'float64', dtypes
    assert dtypes['ts'] == 'datetime64[ns]' and dtypes['tstz'] == 'datetime64[ns, UTC]', dtypes
    assert output['dec'][0] == decimal.Decimal('12.50') and output['dec'][1] is None
    assert output['dt'][0] == datetime.date(2024, 2, 29) and output['tm'][0] == datetime.time(12, 34, 56, 789000)
    assert output['bl'][0] == b'\\x00\\xffab' and output['bl'][2] == b'' and output['bl'][1] is None
    assert output['s_empty'][0] == '' and output['s_empty'][1] is None
    assert output['hi'][0] == 2**127 - 1
    assert output['ts_ns'][0].nanosecond == 789
`;

test('every DuckDB type and NULL survive a round trip through an identity Python block, exactly and with pandas types', async () => {
  await withPipeline({
    blocks: [
      { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
      py('same', 'transform', ['src']),
    ],
  }, async (ctx) => {
    const result = await runAll(ctx);
    const same = ctx.events.find((e) => e.type === 'block.succeeded' && e.blockId === 'same');
    assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
    assert.ok(same?.type === 'block.succeeded');
    assert.deepEqual(same.tests, [{ name: 'test_pandas_types', passed: true }]);
    const src = await query(ctx, 'select * from p.src');
    const out = await query(ctx, 'select * from p.same');
    const expectedTypes = { ...src.types, list: 'VARCHAR', struct: 'VARCHAR' }; // nested values come back as JSON text
    assert.deepEqual(out.types, expectedTypes);
    const differing = await query(ctx, `
      select * from (select * replace (to_json(list)::VARCHAR as list, to_json(struct)::VARCHAR as struct) from p.src)
      except all select * from p.same`);
    // DuckDB's NaN is pandas' missing value: it comes back as NULL (the one documented change).
    assert.deepEqual(differing.rows.map((r) => r.d_nan), [Number.NaN]);
    const nanRow = await query(ctx, 'select count(*) as n from p.same where d_nan is null');
    assert.equal(Number(nanRow.rows[0]?.n), 2); // the NaN and the NULL
  }, { settings, files: { 'blocks/src.sql': EVERY_TYPE_SQL, 'blocks/same.py': IDENTITY_PY } });
});

test('an exception shows its traceback and points the error at the line of the user file that raised it', async () => {
  const code = 'import pandas as pd\n\n\ndef helper(x):\n    return x / 0\n\n\n@transform\ndef clean(df):\n    return helper(1)\n';
  await withPipeline({ blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 2 } }, py('clean', 'transform', ['src'])] }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'clean');
    assert.equal(failed.error.kind, 'user');
    assert.deepEqual(failed.error.place, { block: 'clean', file: 'blocks/clean.py', line: 5 });
    assert.match(failed.error.message, /^ZeroDivisionError: division by zero/);
    assert.match(failed.error.message, /File "blocks\/clean.py", line 10, in clean\n {4}return helper\(1\)\n {2}File "blocks\/clean.py", line 5, in helper/);
    assert.doesNotMatch(failed.error.message, /pw_harness/);
  }, { settings, files: { 'blocks/clean.py': code } });
});

test('a syntax error names the line and column before anything runs', async () => {
  await withPipeline({ blocks: [py('bad', 'source')] }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'bad');
    assert.equal(failed.error.place?.file, 'blocks/bad.py');
    assert.equal(failed.error.place?.line, 3);
    assert.match(failed.error.message, /SyntaxError/);
  }, { settings, files: { 'blocks/bad.py': '@source\ndef load():\n    return 1 +\n' } });
});

test('print and logging output arrive as log lines while the block still runs, with their levels', async () => {
  const code = [
    'import logging, time, os', '', '',
    '@source', 'def load(**kwargs):',
    "    print('first line', flush=True)",
    "    logging.getLogger('mine').warning('careful')",
    "    while not os.path.exists('go'):", '        time.sleep(0.02)',
    "    print('after go')",
    "    import pandas as pd", "    return pd.DataFrame({'a': [1]})", '',
  ].join('\n');
  await withPipeline({ blocks: [py('talk', 'source')] }, async (ctx) => {
    const running = runAll(ctx);
    await eventually(() => logsOf(ctx.events, 'talk').includes('careful'), 20_000, 'the warning to arrive while the block waits');
    assert.ok(logsOf(ctx.events, 'talk').includes('first line'));
    assert.ok(!logsOf(ctx.events, 'talk').includes('after go'));
    ctx.temp.writeFile('go', '');
    const result = await running;
    assert.equal(result.status, 'succeeded');
    const warn = ctx.events.find((e) => e.type === 'log.written' && e.message === 'careful');
    assert.equal(warn?.type === 'log.written' ? warn.level : undefined, 'warn');
    assert.ok(logsOf(ctx.events, 'talk').includes('after go'));
  }, { settings, files: { 'blocks/talk.py': code } });
});

const SPIN_PY = (pidFile: string) => [
  'import os, subprocess', '', '',
  '@source', 'def spin(**kwargs):',
  "    child = subprocess.Popen(['sleep', '300'])",
  `    with open(${JSON.stringify(pidFile)}, 'w') as f:`,
  "        f.write(f'{os.getpid()} {child.pid}')",
  '    while True:', '        pass', '',
].join('\n');

function pidsIn(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split(' ').map(Number);
}

test('a timeout kills a while True block and the processes it started', async () => {
  await withPipeline({ blocks: [py('spin', 'source', [], { timeout: 4 })] }, async (ctx) => {
    const pidFile = path.join(ctx.temp.dir, 'pids');
    ctx.temp.writeFile('blocks/spin.py', SPIN_PY(pidFile));
    const started = Date.now();
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'spin');
    assert.match(failed.error.message, /timed out after 4 s/);
    assert.ok(Date.now() - started < 15_000, `the run took ${Date.now() - started} ms`);
    for (const pid of pidsIn(pidFile)) await eventually(() => !isAlive(pid), 5000, `process ${pid} to end`);
  }, { settings, files: { 'blocks/spin.py': '' } });
});

test('cancelling the run kills the Python process and its children', async () => {
  await withPipeline({ blocks: [py('spin', 'source')] }, async (ctx) => {
    const pidFile = path.join(ctx.temp.dir, 'pids');
    ctx.temp.writeFile('blocks/spin.py', SPIN_PY(pidFile));
    const controller = new AbortController();
    const running = runAll(ctx, controller.signal);
    await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '), 20_000, 'the block to start');
    controller.abort();
    const result = await running;
    assert.equal(result.status, 'cancelled');
    for (const pid of pidsIn(pidFile)) await eventually(() => !isAlive(pid), 5000, `process ${pid} to end`);
  }, { settings, files: { 'blocks/spin.py': '' } });
});

test('a missing interpreter is a clear error naming python: in pipewright.yaml', async () => {
  await withPipeline({ blocks: [py('load', 'source')] }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'load');
    assert.equal(failed.error.kind, 'user');
    assert.match(failed.error.message, /block load needs the Python interpreter \.venv\/bin\/python \(python: in pipewright\.yaml\), which does not exist/);
  }, { settings: { python: '.venv/bin/python' }, files: { 'blocks/load.py': '@source\ndef load():\n    pass\n' } });
});

test('a missing module is named with the pip command and the line that imports it', async () => {
  const code = 'import pandas as pd\nimport no_such_module_pw\n\n\n@source\ndef load():\n    return pd.DataFrame()\n';
  await withPipeline({ blocks: [py('clean_trips', 'source')] }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'clean_trips');
    assert.equal(failed.error.message, `block clean_trips needs no_such_module_pw: \`${PYTHON} -m pip install no_such_module_pw\``);
    assert.deepEqual(failed.error.place, { block: 'clean_trips', file: 'blocks/clean_trips.py', line: 2 });
  }, { settings, files: { 'blocks/clean_trips.py': code } });
});

test('a module missing only at run time (imported inside the function) is named too', async () => {
  const code = '@source\ndef load():\n    try:\n        import lazy_missing_pw\n    finally:\n        pass\n';
  await withPipeline({ blocks: [py('lazy', 'source')] }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'lazy');
    assert.match(failed.error.message, /^block lazy needs lazy_missing_pw: `\/usr\/bin\/python3 -m pip install lazy_missing_pw`/);
    assert.equal(failed.error.place?.line, 4);
  }, { settings, files: { 'blocks/lazy.py': code } });
});

test('the function gets upstream DataFrames positionally and the run variables, dates and ids as kwargs', async () => {
  const code = [
    'import pandas as pd', '', '',
    '@transform',
    'def combine(left, right, *, city, execution_date, interval_start, run_id, block_id, pipeline_id):',
    '    return pd.DataFrame({',
    "        'rows': [len(left) + len(right)], 'city': [city], 'year': [execution_date.year], 'tz': [str(execution_date.tzinfo)],",
    "        'start': [interval_start.isoformat()], 'run_id': [run_id], 'block_id': [block_id], 'pipeline_id': [pipeline_id],",
    '    })', '',
  ].join('\n');
  await withPipeline({
    variables: { city: 'nyc' },
    blocks: [
      { id: 'a', type: 'source', kind: 'test_rows', config: { rows: 2 } },
      { id: 'b', type: 'source', kind: 'test_rows', config: { rows: 3 } },
      py('combine', 'transform', ['a', 'b']),
    ],
  }, async (ctx) => {
    const result = await runAll(ctx, undefined, { city: 'paris', execution_date: '2021-03-04T05:06:07Z' });
    assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
    const { rows } = await query(ctx, 'select * from p.combine');
    assert.deepEqual(rows[0], {
      rows: 5n, city: 'paris', year: 2021n, tz: 'UTC', start: '2021-03-04T00:00:00+00:00', run_id: result.runId, block_id: 'combine', pipeline_id: 'p',
    });
  }, { settings, files: { 'blocks/combine.py': code } });
});

test('a failing @test fails the block with the assertion and its line, and the output is not published', async () => {
  const code = [
    'import pandas as pd', '', '',
    '@source', 'def load():', "    return pd.DataFrame({'n': [1, None]})", '', '',
    '@test', 'def test_no_nulls(output):', "    assert output['n'].notna().all()", '', '',
    '@test', 'def test_count(output):', '    assert len(output) == 2', '',
  ].join('\n');
  await withPipeline({ blocks: [py('load', 'source')] }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'load');
    assert.deepEqual(failed.tests, [
      { name: 'test_no_nulls', passed: false, message: "AssertionError: assert output['n'].notna().all()\n  File \"blocks/load.py\", line 11, in test_no_nulls\n    assert output['n'].notna().all() (blocks/load.py:11)" },
      { name: 'test_count', passed: true },
    ]);
    assert.match(failed.error.message, /^test test_no_nulls failed: AssertionError/);
    assert.equal(await ctx.open.workspace.latestOutput('p', 'load'), undefined);
  }, { settings, files: { 'blocks/load.py': code } });
});

test('an export by code reads its upstream, writes where it likes and has no output', async () => {
  const code = [
    'import pandas as pd', '', '',
    '@export', 'def save(df, **kwargs):', "    df.to_json('out.json', orient='records')", "    print(f'saved {len(df)} rows')", '',
  ].join('\n');
  await withPipeline({ blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 3, label: 'x' } }, py('save', 'export', ['src'])] }, async (ctx) => {
    const result = await runAll(ctx);
    assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
    const saved = JSON.parse(readFileSync(path.join(ctx.temp.dir, 'out.json'), 'utf8')) as { i: number; label: string }[];
    assert.deepEqual(saved.map((r) => r.i).sort(), [0, 1, 2]);
    assert.ok(logsOf(ctx.events, 'save').includes('saved 3 rows'));
    assert.equal(await ctx.open.workspace.latestOutput('p', 'save'), undefined);
  }, { settings, files: { 'blocks/save.py': code } });
});

test('a function that returns something other than a DataFrame is told what it returned, at its def line', async () => {
  await withPipeline({ blocks: [py('load', 'source')] }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'load');
    assert.equal(failed.error.message, 'the source function load returned NoneType (is a return statement missing?): return a pandas DataFrame');
    assert.equal(failed.error.place?.line, 3);
  }, { settings, files: { 'blocks/load.py': '\n@source\ndef load():\n    x = 1\n' } });
});

test('the starter templates of a Python source, transform and export run as written, their @test included', async () => {
  const files = {
    'blocks/load.py': starterCode(pythonSource, 'load', []),
    'blocks/shape.py': starterCode(pythonTransform, 'shape', ['load']),
    'blocks/send.py': starterCode(pythonExport, 'send', ['shape']),
  };
  await withPipeline({ blocks: [py('load', 'source'), py('shape', 'transform', ['load']), py('send', 'export', ['shape'])] }, async (ctx) => {
    const result = await runAll(ctx);
    assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
    const shaped = ctx.events.find((e) => e.type === 'block.succeeded' && e.blockId === 'shape');
    assert.ok(shaped?.type === 'block.succeeded');
    assert.deepEqual(shaped.tests, [{ name: 'test_has_rows', passed: true }]);
    assert.ok(logsOf(ctx.events, 'send').includes('3 rows'));
  }, { settings, files });
});

test('checkPythonBlock reports a missing pandas with the environment\'s own pip, and each missing import at its line, without running the file', async () => {
  const temp = createTempProject({ python: '.venv/bin/python' });
  try {
    // A stand-in virtual environment whose interpreter sees no site-packages, so pandas is not there.
    temp.writeFile('.venv/pyvenv.cfg', 'home = /usr/bin\n');
    temp.writeFile('.venv/bin/pip', '#!/bin/sh\nexit 1\n');
    temp.writeFile('.venv/bin/python', `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
    chmodSync(path.join(temp.dir, '.venv/bin/python'), 0o755);
    chmodSync(path.join(temp.dir, '.venv/bin/pip'), 0o755);
    temp.writeFile('blocks/clean_trips.py', "import os\ntry:\n    import optional_pw_thing\nexcept ImportError:\n    pass\nimport sklearn.linear_model\nopen('ran', 'w')\n");
    const project = await loadProject(temp.dir);
    const block = { id: 'clean_trips', type: 'transform', kind: 'python', file: 'blocks/clean_trips.py', upstream: [], config: {}, tests: [], testCode: {} } as LoadedBlock;
    const check = await checkPythonBlock(project, block);
    assert.deepEqual(check.problems.map((p) => [p.message, p.place.line]), [
      ['block clean_trips needs pandas: `.venv/bin/pip install pandas`', undefined],
      ['block clean_trips needs sklearn.linear_model: `.venv/bin/pip install scikit-learn`', 6],
    ]);
    assert.equal(check.hasPyarrow, false);
    assert.ok(!existsSync(path.join(temp.dir, 'ran')), 'the check executed the block file');
  } finally {
    temp.cleanup();
  }
});

test('a block that prints without end keeps the first 5,000 lines in the log and counts the rest', async () => {
  const code = "import pandas as pd\n\n\n@source\ndef load():\n    for i in range(5300):\n        print('line', i)\n    return pd.DataFrame({'a': [1]})\n";
  await withPipeline({ blocks: [py('chatty', 'source')] }, async (ctx) => {
    const result = await runAll(ctx);
    assert.equal(result.status, 'succeeded');
    const lines = logsOf(ctx.events, 'chatty').filter((m) => m.startsWith('line '));
    assert.equal(lines.length, 5000);
    assert.equal(lines.at(-1), 'line 4999');
    assert.ok(logsOf(ctx.events, 'chatty').includes('300 more lines of output were not kept'));
  }, { settings, files: { 'blocks/chatty.py': code } });
});

test('an empty DataFrame keeps its column types through a Python transform, and config.function picks the function', async () => {
  const load = "import pandas as pd\nfrom pipewright import source\n\n\n@source\ndef load():\n    return pd.DataFrame({'n': pd.Series([], dtype='int32'), 's': pd.Series([], dtype=object), 't': pd.Series([], dtype='datetime64[ns]')})\n";
  const pass = "def unused(df):\n    raise RuntimeError('not this one')\n\n\ndef keep(df):\n    return df\n";
  await withPipeline({ blocks: [py('load', 'source'), py('pass_on', 'transform', ['load'], { config: { function: 'keep' } })] }, async (ctx) => {
    const result = await runAll(ctx);
    assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
    const { rows, types } = await query(ctx, 'select * from p.pass_on');
    assert.deepEqual(rows, []);
    assert.deepEqual(types, { n: 'INTEGER', s: 'VARCHAR', t: 'TIMESTAMP' });
  }, { settings, files: { 'blocks/load.py': load, 'blocks/pass_on.py': pass } });
});

test('columns whose names differ only in case are refused with both names, at the function that returned them', async () => {
  const code = "import pandas as pd\n\n\n@source\ndef load():\n    return pd.DataFrame({'Zone': [1], 'zone': [2]})\n";
  await withPipeline({ blocks: [py('load', 'source')] }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'load');
    assert.match(failed.error.message, /cannot be written: two columns are named 'Zone' and 'zone'/);
    assert.deepEqual(failed.error.place, { block: 'load', file: 'blocks/load.py', line: 5 });
  }, { settings, files: { 'blocks/load.py': code } });
});

/**
 * DuckDB's half of the pyarrow exchange (Parquet wire files), which runs without pyarrow: an upstream written as
 * wire Parquet and loaded back with the schema the Python side would report gives the same table.
 */
const parquetRoundTrip: BlockKind<Record<string, never>> = {
  type: 'transform',
  kind: 'parquet_wire_round_trip',
  title: 'test',
  configSchema: z.strictObject({}),
  code: 'none',
  async run(ctx) {
    const file = path.join(ctx.tempDir, 'wire.parquet');
    const { columns } = await writeWireFile(ctx.data, ctx.block.upstream[0] ?? '', file, 'parquet');
    // As pw_codec reports them: TIMESTAMPTZ by that name, nested values as JSON text.
    const reported = columns.map((c) => ({ ...c, type: c.type === 'TIMESTAMP WITH TIME ZONE' ? 'TIMESTAMPTZ' : c.kind === 'str' ? 'VARCHAR' : c.type }));
    const rowsOut = await ctx.data.writeOutputFromQuery(wireFileSelect(file, 'parquet', checkWireSchema(reported)));
    return { rowsOut, hasOutput: true };
  },
};

test('the DuckDB half of the Parquet exchange (used with pyarrow) keeps every type and NULL exactly', async () => {
  await withPipeline({
    blocks: [
      { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
      { id: 'rt', type: 'transform', kind: 'parquet_wire_round_trip', upstream: ['src'] },
    ],
  }, async (ctx) => {
    const result = await runAll(ctx);
    assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
    const src = await query(ctx, 'select * from p.src');
    const out = await query(ctx, 'select * from p.rt');
    assert.deepEqual(out.types, { ...src.types, list: 'VARCHAR', struct: 'VARCHAR' });
    const differing = await query(ctx, `
      select * from (select * replace (to_json(list)::VARCHAR as list, to_json(struct)::VARCHAR as struct) from p.src)
      except all select * from p.rt`);
    assert.deepEqual(differing.rows, []);
  }, { settings, kinds: [parquetRoundTrip], files: { 'blocks/src.sql': EVERY_TYPE_SQL } });
});

test('pandas-side types get DuckDB types: timedeltas, zoned and object datetimes, categories, dicts, big ints, mixed columns', async () => {
  const code = `import datetime as dt
import decimal
import pandas as pd


@source
def load():
    return pd.DataFrame({
        'took': pd.to_timedelta(['1 days 00:00:01.5', None]),
        'paris': pd.to_datetime(['2024-06-01 12:00', None]).tz_localize('Europe/Paris'),
        'naive_obj': [dt.datetime(2024, 1, 2, 3, 4, 5, 6), None],
        'cat': pd.Categorical(['a', None]),
        'doc': [{'k': [1, 2]}, None],
        'huge': [2**70, None],
        'mixed': [1, 'one'],
        'text': pd.array(['x', None], dtype='string'),
        'f_none': [1.5, None],
        'money': [decimal.Decimal('1.5'), decimal.Decimal('-12.25')],
        'empty_and_null': ['', None],
    }).set_index(pd.Index([7, 8], name='row_id'))
`;
  await withPipeline({ blocks: [py('load', 'source')] }, async (ctx) => {
    const result = await runAll(ctx);
    assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
    const { rows } = await query(ctx, `select row_id, took::VARCHAR as took, strftime(paris, '%Y-%m-%d %H:%M') as paris_utc, naive_obj::VARCHAR as naive_obj,
      cat, doc, huge::VARCHAR as huge, mixed, text, f_none, money::VARCHAR as money, empty_and_null from p.load order by row_id`);
    assert.deepEqual(rows, [
      { row_id: 7n, took: '24:00:01.5', paris_utc: '2024-06-01 10:00', naive_obj: '2024-01-02 03:04:05.000006', cat: 'a', doc: '{"k": [1, 2]}', huge: String(2n ** 70n), mixed: '1', text: 'x', f_none: 1.5, money: '1.50', empty_and_null: '' },
      { row_id: 8n, took: null, paris_utc: null, naive_obj: null, cat: null, doc: null, huge: null, mixed: 'one', text: null, f_none: null, money: '-12.25', empty_and_null: null },
    ]);
    const all = await query(ctx, 'select * from p.load');
    assert.deepEqual(all.types, {
      row_id: 'BIGINT', took: 'INTERVAL', paris: 'TIMESTAMP WITH TIME ZONE', naive_obj: 'TIMESTAMP', cat: 'VARCHAR', doc: 'VARCHAR', huge: 'HUGEINT',
      mixed: 'VARCHAR', text: 'VARCHAR', f_none: 'DOUBLE', money: 'DECIMAL(18,2)', empty_and_null: 'VARCHAR',
    });
    assert.ok(logsOf(ctx.events, 'load').includes('column mixed mixes int, str values: written as text'));
  }, { settings, files: { 'blocks/load.py': code } });
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
    await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '), 60_000, 'the block to start');
    owner.kill('SIGKILL');
    for (const pid of pidsIn(pidFile)) await eventually(() => !isAlive(pid), 5000, `process ${pid} to end after its owner died`);
  } finally {
    owner.kill('SIGKILL');
    temp.cleanup();
  }
});

test('timestamps pandas cannot hold are refused with the upstream and column named, not a crash', async () => {
  await withPipeline({
    blocks: [{ id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' }, py('late', 'transform', ['src'])],
  }, async (ctx) => {
    await runAll(ctx);
    const failed = failedEvent(ctx.events, 'late');
    assert.equal(failed.error.kind, 'user');
    assert.equal(failed.error.message, 'upstream src cannot become a DataFrame: column ts holds timestamps outside what pandas can hold (1677-09-21 to 2262-04-11)');
  }, { settings, files: { 'blocks/src.sql': "select TIMESTAMP '3000-01-01' as ts", 'blocks/late.py': '@transform\ndef late(df):\n    return df\n' } });
});
