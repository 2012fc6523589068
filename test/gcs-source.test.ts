import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../main/model/errors.ts';
import { gcsExport } from '../main/blocks/gcs-export.ts';
import { gcsSource, globToRegex } from '../main/blocks/gcs-source.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';
import { querySource } from './helpers/test-kinds.ts';

let harness: BlockHarness;
let gcs: GcsFixture;
const connection = () => ({ endpoint: gcs.emulator.url, bucket: 'lake', retry: { max_delay_seconds: 1 } });

before(async () => {
  harness = await createBlockHarness();
  gcs = await startGcsFixture();
  await harness.run(querySource, {
    id: 'trips',
    config: {
      sql: `SELECT range::INTEGER AS id, DATE '2021-01-01' + (range % 4)::INTEGER AS pickup_date, range * 1.5 AS fare FROM range(1000)`,
    },
  });
  await harness.run(gcsExport, {
    id: 'out',
    upstream: ['trips'],
    config: { ...connection(), create_bucket: true, path: 'trips', partition_by: ['pickup_date'] },
  });
});
after(async () => {
  await gcs.close();
  await harness.close();
});

describe('source/gcs', () => {
  test('reads a hive-partitioned folder back with the partition column typed and every row present', async () => {
    const run = await harness.run(gcsSource, { id: 'back', config: { ...connection(), path: 'trips' } });
    assert.equal(run.outcome?.rowsOut, 1000);
    const types = await harness.query('DESCRIBE SELECT * FROM back', ['back']);
    assert.deepEqual(
      types.map((t) => `${t.column_name} ${t.column_type}`),
      ['id INTEGER', 'fare DECIMAL(21,1)', 'pickup_date DATE'],
    );
    const [sums] = await harness.query('SELECT sum(id)::BIGINT AS ids, count(DISTINCT pickup_date)::INTEGER AS days FROM back', ['back']);
    assert.deepEqual(sums, { ids: 499500n, days: 4 });
  });

  test('reads only the objects a glob matches', async () => {
    const run = await harness.run(gcsSource, {
      id: 'all_days',
      config: { ...connection(), path: 'trips/pickup_date=2021-01-0?/*.parquet' },
    });
    assert.equal(run.outcome?.rowsOut, 1000);
    const one = await harness.run(gcsSource, {
      id: 'one_day',
      config: { ...connection(), path: 'trips/pickup_date=2021-01-02/*.parquet' },
    });
    assert.equal(one.outcome?.rowsOut, 250);
    assert.ok(globToRegex('a/**/*.csv').test('a/x/y/z.csv'));
    assert.ok(!globToRegex('a/*.csv').test('a/x/z.csv'));
  });

  test('reads a CSV object named exactly', async () => {
    await gcs.storage
      .bucket('lake')
      .file('raw/zones.csv')
      .save('zone,name\n1,Newark\n2,Jamaica Bay\n', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await harness.run(gcsSource, { id: 'zones', config: { ...connection(), path: 'raw/zones.csv' } });
    assert.deepEqual(await harness.query('SELECT * FROM zones ORDER BY zone', ['zones']), [
      { zone: 1n, name: 'Newark' },
      { zone: 2n, name: 'Jamaica Bay' },
    ]);
  });

  test('fails clearly when nothing matches, and refuses object names that would leave the temp folder', async () => {
    const none = await harness.attempt(gcsSource, { id: 'none', config: { ...connection(), path: 'missing/' } });
    assert.ok(none.error instanceof UserError);
    assert.match(none.error.message, /no objects match gs:\/\/lake\/missing\//);
    await gcs.storage
      .bucket('lake')
      .file('evil/../../escape.csv')
      .save('a\n1\n', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const evil = await harness.attempt(gcsSource, { id: 'evil', config: { ...connection(), path: 'evil/' } });
    assert.ok(evil.error instanceof UserError);
    assert.match(evil.error.message, /cannot be read safely/);
  });
});
