import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { withPipeline } from './helpers/run-project.ts';
import { PYTHON, failedEvent, logsOf, py, query, runAll, settings } from './helpers/python-blocks.ts';

/** 2,500 rows; `maybe` is NULL only in row 2,400, so only the last batch of 1,000 sees a NULL there. */
const SOURCE_SQL = `SELECT range AS i, CASE WHEN range = 2400 THEN NULL ELSE range END AS maybe, 'x' || range AS s,
  TIMESTAMP '2024-01-01' + to_seconds(range) AS t, CAST(range / 100 AS DECIMAL(10,2)) AS d FROM range(2500)`;
const source = { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' };

const hasModule = (name: string) => spawnSync(PYTHON, ['-c', `import ${name}`]).status === 0;

test('a parameter typed Iterator[pd.DataFrame] gets the upstream in batches, and a generator function writes what it yields batch by batch', async () => {
  const code = [
    'import types',
    'from typing import Iterator',
    'import pandas as pd',
    '',
    '',
    '@transform',
    'def keep_even(trips: Iterator[pd.DataFrame], **kwargs) -> Iterator[pd.DataFrame]:',
    '    assert isinstance(trips, types.GeneratorType), type(trips)',
    '    for batch in trips:',
    "        print('batch', len(batch), str(batch['maybe'].dtype))",
    "        yield batch[batch['i'] % 2 == 0]",
    '',
  ].join('\n');
  await withPipeline(
    { blocks: [source, py('keep_even', 'transform', ['src'], { config: { batch_rows: 1000 } })] },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const logs = logsOf(ctx.events, 'keep_even');
      assert.deepEqual(
        logs.filter((l) => l.startsWith('batch ')),
        ['batch 1000 int64', 'batch 1000 int64', 'batch 500 Int64'],
      );
      assert.ok(logs.includes('1,250 rows written in 3 batches'), logs.join('\n'));
      const { rows } = await query(ctx, 'SELECT count(*) AS n, count(maybe) AS m FROM p.keep_even');
      assert.deepEqual([Number(rows[0]?.n), Number(rows[0]?.m)], [1250, 1249], 'the NULL of the last batch is still NULL');
      const described = await query(ctx, 'SELECT * FROM p.keep_even LIMIT 1');
      assert.deepEqual(
        described.types,
        { i: 'BIGINT', maybe: 'BIGINT', s: 'VARCHAR', t: 'TIMESTAMP', d: 'DECIMAL(10,2)' },
        'types are the same as with a whole DataFrame',
      );
    },
    { settings, files: { 'blocks/src.sql': SOURCE_SQL, 'blocks/keep_even.py': code } },
  );
});

test('a batch whose columns differ from the first batch fails the block, naming the batch and both column lists', async () => {
  const code = [
    'from typing import Iterator',
    'import pandas as pd',
    '',
    '',
    '@transform',
    'def drift(trips: Iterator[pd.DataFrame]):',
    '    for n, batch in enumerate(trips):',
    "        yield batch[['i']] if n == 0 else batch[['i']].astype('float64')",
    '',
  ].join('\n');
  await withPipeline(
    { blocks: [source, py('drift', 'transform', ['src'], { config: { batch_rows: 1000 } })] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'drift');
      assert.equal(
        failed.error.message,
        'batch 2 that drift yielded cannot be written: batch 2 has columns i DOUBLE; the first batch had i BIGINT: yield the same columns and types each time',
      );
      assert.deepEqual(failed.error.place, { block: 'drift', file: 'blocks/drift.py', line: 6 });
    },
    { settings, files: { 'blocks/src.sql': SOURCE_SQL, 'blocks/drift.py': code } },
  );
});

test(
  'a parameter typed polars.DataFrame without polars installed names the module, the pip command and the def line',
  { skip: hasModule('polars') && 'polars is installed for this interpreter' },
  async () => {
    const code = [
      'from __future__ import annotations',
      '',
      '',
      '@transform',
      'def to_polars(trips: pl.DataFrame):',
      '    return trips',
      '',
    ].join('\n');
    await withPipeline(
      { blocks: [source, py('to_polars', 'transform', ['src'])] },
      async (ctx) => {
        await runAll(ctx);
        const failed = failedEvent(ctx.events, 'to_polars');
        // Found before the file runs, as pipewright check finds it: the parameter's type asks for polars.
        assert.equal(failed.error.message, `block to_polars needs polars: \`${PYTHON} -m pip install polars\``);
        assert.deepEqual(failed.error.place, { block: 'to_polars', file: 'blocks/to_polars.py', line: 5 });
      },
      { settings, files: { 'blocks/src.sql': SOURCE_SQL, 'blocks/to_polars.py': code } },
    );
  },
);

test(
  'a parameter typed pyarrow.Table without pyarrow installed names the module',
  { skip: hasModule('pyarrow') && 'pyarrow is installed: the next test runs instead' },
  async () => {
    const code = ['import pandas as pd', '', '', '@transform', "def arrow(trips: 'pa.Table'):", '    return trips', ''].join('\n');
    await withPipeline(
      { blocks: [source, py('arrow', 'transform', ['src'])] },
      async (ctx) => {
        await runAll(ctx);
        const failed = failedEvent(ctx.events, 'arrow');
        assert.equal(failed.error.message, `block arrow needs pyarrow: \`${PYTHON} -m pip install pyarrow\``);
        assert.deepEqual(failed.error.place, { block: 'arrow', file: 'blocks/arrow.py', line: 5 });
      },
      { settings, files: { 'blocks/src.sql': SOURCE_SQL, 'blocks/arrow.py': code } },
    );
  },
);

test(
  'with pyarrow: data crosses as Parquet and a pyarrow.Table parameter and return value keep the types',
  {
    skip:
      !hasModule('pyarrow') &&
      `pyarrow is not importable by ${PYTHON} (Debian packages no pyarrow): the Parquet exchange is exercised where it is`,
  },
  async () => {
    const code = [
      'import pyarrow as pa',
      '',
      '',
      '@transform',
      'def arrow(trips: pa.Table) -> pa.Table:',
      '    assert isinstance(trips, pa.Table)',
      "    return trips.filter(pa.compute.equal(pa.compute.bit_wise_and(trips['i'], 1), 0))",
      '',
    ].join('\n');
    await withPipeline(
      { blocks: [source, py('arrow', 'transform', ['src'])] },
      async (ctx) => {
        const result = await runAll(ctx);
        assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
        assert.ok(logsOf(ctx.events, 'arrow').some((l) => / data as parquet$/.test(l)));
        const { types } = await query(ctx, 'SELECT * FROM p.arrow LIMIT 1');
        assert.deepEqual(types, { i: 'BIGINT', maybe: 'BIGINT', s: 'VARCHAR', t: 'TIMESTAMP', d: 'DECIMAL(10,2)' });
      },
      { settings, files: { 'blocks/src.sql': SOURCE_SQL, 'blocks/arrow.py': code } },
    );
  },
);

test('an export by code reads its upstream in batches too', async () => {
  const code = [
    'from typing import Iterator',
    'import pandas as pd',
    '',
    '',
    '@export',
    'def to_files(trips: Iterator[pd.DataFrame]):',
    '    for n, batch in enumerate(trips):',
    "        batch.to_csv('out/part-%d.csv' % n, index=False)",
    '',
  ].join('\n');
  await withPipeline(
    { blocks: [source, py('to_files', 'export', ['src'], { config: { batch_rows: 1000 } })] },
    async (ctx) => {
      ctx.temp.writeFile('out/.keep', '');
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const parts = readdirSync(path.join(ctx.temp.dir, 'out'))
        .filter((f) => f.startsWith('part-'))
        .sort();
      assert.deepEqual(parts, ['part-0.csv', 'part-1.csv', 'part-2.csv']);
      assert.equal(
        readFileSync(path.join(ctx.temp.dir, 'out', 'part-2.csv'), 'utf8')
          .trim()
          .split('\n').length,
        501,
        'the last batch holds the last 500 rows',
      );
    },
    { settings, files: { 'blocks/src.sql': SOURCE_SQL, 'blocks/to_files.py': code } },
  );
});
