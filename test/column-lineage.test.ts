import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineageOfQuery } from '../main/data/column-lineage.ts';
import { ScratchDuckDb } from '../main/schemas/scratch-duckdb.ts';
import os from 'node:os';

const upstream = new Map([
  [
    'trips',
    [
      { name: 'trip_id', type: 'BIGINT' },
      { name: 'zone_id', type: 'BIGINT' },
      { name: 'fare', type: 'DOUBLE' },
      { name: 'tip', type: 'DOUBLE' },
      { name: 'Pickup', type: 'TIMESTAMP' },
    ],
  ],
  [
    'zones',
    [
      { name: 'zone_id', type: 'BIGINT' },
      { name: 'name', type: 'VARCHAR' },
    ],
  ],
]);

async function lineage(sql: string) {
  const scratch = await ScratchDuckDb.open([os.tmpdir()]);
  try {
    return Object.fromEntries(
      (lineageOfQuery(await scratch.serialize(sql), upstream) ?? []).map((l) => [l.column, l.sources.map((s) => `${s.block}.${s.column}`)]),
    );
  } finally {
    scratch.close();
  }
}

test("column lineage from DuckDB's parse tree follows stars, aliases, joins, expressions and CTEs", async () => {
  assert.deepEqual(await lineage('select * exclude (tip), cast(pickup as date) as pickup_date from trips where fare > 0'), {
    trip_id: ['trips.trip_id'],
    zone_id: ['trips.zone_id'],
    fare: ['trips.fare'],
    Pickup: ['trips.Pickup'],
    pickup_date: ['trips.Pickup'],
  });
  assert.deepEqual(
    await lineage('select t.trip_id, z.name as zone, t.fare + t.tip as total, 1 as one from trips t join zones z using (zone_id)'),
    {
      trip_id: ['trips.trip_id'],
      zone: ['zones.name'],
      total: ['trips.fare', 'trips.tip'],
      one: [],
    },
  );
  assert.deepEqual(
    await lineage('with big as (select zone_id, fare * 2 as double_fare from trips) select b.double_fare, z.* from big b, zones z'),
    {
      double_fare: ['trips.fare'],
      zone_id: ['zones.zone_id'],
      name: ['zones.name'],
    },
  );
  assert.deepEqual(await lineage('select zone_id from trips union all select zone_id from zones'), {
    zone_id: ['trips.zone_id', 'zones.zone_id'],
  });
  assert.deepEqual(await lineage('select * replace (fare * 100 as fare) from (select trip_id, fare from trips)'), {
    trip_id: ['trips.trip_id'],
    fare: ['trips.fare'],
  });
});

test('a statement that does not parse has no lineage, rather than a wrong one', async () => {
  const scratch = await ScratchDuckDb.open([os.tmpdir()]);
  try {
    assert.equal(lineageOfQuery(await scratch.serialize('select from where'), upstream), undefined);
  } finally {
    scratch.close();
  }
});
