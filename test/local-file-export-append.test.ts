// `mode: append` on a partitioned export/local_file: what a monthly backfill needs. With the default (replace) each
// month's run swapped the whole folder, so a backfill of yellow_taxi_etl over three months kept only the last
// month's partitions (31 of 90 pickup dates).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { localFileExport } from '../main/blocks/local-file-export.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { withPipeline } from './helpers/run-project.ts';
import { querySource } from './helpers/test-kinds.ts';

/** 100 trips of month {{ month }} over its first 4 days, and one stray on the last day of the month before. */
const MONTH_SQL = `SELECT range AS id, CASE WHEN range = 0 THEN DATE '2021-{{ month }}-01' - 1 ELSE DATE '2021-{{ month }}-01' + (range % 4)::INTEGER END AS day
  FROM range(100)`;

const pipeline = {
  variables: { month: { default: '01' } },
  blocks: [
    { id: 'trips', type: 'source', kind: 'test_query', config: { sql: MONTH_SQL } },
    {
      id: 'to_parquet',
      type: 'export',
      kind: 'local_file',
      upstream: ['trips'],
      config: { path: 'output/trips', partition_by: ['day'], mode: 'append' },
    },
  ],
};

function partitionsOf(folder: string): string[] {
  return readdirSync(folder).sort();
}

/** Rows and distinct ids of every Parquet file under the folder's partitions, read by a DuckDB of its own. */
async function countParquet(folder: string): Promise<{ n: number; ids: number }> {
  const duck = await DuckDBInstance.create(':memory:');
  const conn = await duck.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM read_parquet('${folder}/*/*.parquet')`,
    );
    return reader.getRowObjects()[0] as { n: number; ids: number };
  } finally {
    conn.closeSync();
    duck.closeSync();
  }
}

test('a partitioned export in mode append keeps what earlier runs wrote: a month per run accumulates', async () => {
  await withPipeline(
    pipeline,
    async ({ open, run, temp }) => {
      const runMonth = async (month: string) => {
        const result = await run({
          pipeline: await open.loadPipeline('p'),
          scope: { kind: 'pipeline' },
          trigger: { kind: 'test' },
          variables: { month },
        });
        const failed = result.blocks.find((b) => b.status !== 'succeeded');
        assert.equal(failed, undefined, failed?.error?.message);
      };
      await runMonth('02');
      await runMonth('03');
      const folder = path.join(temp.dir, 'output', 'trips');
      // February's 4 days and its stray (January 31), March's 4 days and its stray (February 28), which joins that partition.
      assert.deepEqual(partitionsOf(folder), [
        'day=2021-01-31',
        'day=2021-02-01',
        'day=2021-02-02',
        'day=2021-02-03',
        'day=2021-02-04',
        'day=2021-02-28',
        'day=2021-03-01',
        'day=2021-03-02',
        'day=2021-03-03',
        'day=2021-03-04',
      ]);
      assert.deepEqual(await countParquet(folder), { n: 200, ids: 100 });
    },
    { kinds: [querySource] },
  );
});

let harness: BlockHarness;
before(async () => {
  harness = await createBlockHarness();
  await harness.run(querySource, { id: 'trips', config: { sql: MONTH_SQL.replaceAll('{{ month }}', '05') } });
});
after(() => harness.close());

test('a retry or resume of the same run replaces what its earlier attempt appended, so nothing is written twice', async () => {
  const config = { path: 'output/retried', partition_by: ['day'], mode: 'append' };
  for (let attempt = 0; attempt < 2; attempt++) {
    const run = await harness.attempt(localFileExport, { id: 'to_parquet', upstream: ['trips'], config });
    assert.equal(run.error, undefined);
    assert.equal(run.outcome?.rowsOut, 100);
  }
  const folder = path.join(harness.dir, 'output', 'retried');
  assert.equal((await countParquet(folder)).n, 100);
});

test('mode append needs partition_by (a single Parquet or CSV file cannot be appended to)', async () => {
  const run = await harness.attempt(localFileExport, {
    id: 'to_file',
    upstream: ['trips'],
    config: { path: 'output/one.parquet', mode: 'append' },
  });
  assert.match(String(run.error), /mode: append needs partition_by/);
});
