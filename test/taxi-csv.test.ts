import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { writeYellowTaxiCsv, YELLOW_HEADER } from './helpers/taxi-csv.ts';

let root: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'pw-taxi-'));
  db = await DuckDBInstance.create(':memory:', { threads: '2' });
  conn = await db.connect();
});
after(() => {
  conn.closeSync();
  db.closeSync();
  rmSync(root, { recursive: true, force: true });
});

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS();
}

test('writes a gzip CSV whose contents match the stats it returns', async () => {
  const file = path.join(root, 'yellow.csv.gz');
  const stats = await writeYellowTaxiCsv(file, { rows: 50_000, seed: 3 });
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  assert.equal(text.slice(0, text.indexOf('\n')), YELLOW_HEADER);
  const read = `read_csv('${file}', header = true, timestampformat = '%Y-%m-%d %H:%M:%S')`;
  const [counts] = await rows(`select count(*)::int as n,
      count(*) filter (where passenger_count = 0)::int as zero,
      count(*) filter (where passenger_count is null)::int as missing,
      count(*) filter (where passenger_count > 0)::int as kept,
      count(*) filter (where VendorID is null and RatecodeID is null and store_and_fwd_flag is null and payment_type is null)::int as tail
    from ${read}`);
  assert.deepEqual(counts, {
    n: 50_000,
    zero: stats.zeroPassengerRows,
    missing: stats.missingPassengerRows,
    kept: stats.keptRows,
    tail: stats.missingPassengerRows,
  });
  assert.equal(stats.rows, 50_000);
  assert.equal(stats.zeroPassengerRows + stats.missingPassengerRows + stats.keptRows, stats.rows);
  const byDate = await rows(
    `select cast(tpep_pickup_datetime as date)::varchar as d, count(*)::int as n from ${read} where passenger_count > 0 group by 1`,
  );
  assert.deepEqual(Object.fromEntries(byDate.map((r) => [r.d, r.n])), stats.keptRowsByDate);
  assert.equal(stats.keptPickupDates, byDate.length);
});

test('has the real file quirks: zero passengers, an empty tail, refunds, flags and decimals', async () => {
  const file = path.join(root, 'quirks.csv');
  const stats = await writeYellowTaxiCsv(file, { rows: 200_000, seed: 11 });
  assert.ok(stats.zeroPassengerRows / stats.rows > 0.05 && stats.zeroPassengerRows / stats.rows < 0.09);
  assert.ok(stats.missingPassengerRows / stats.rows >= 0.02 && stats.missingPassengerRows / stats.rows <= 0.03);
  const [q] = await rows(`select
      count(*) filter (where fare_amount < 0)::int as refunds,
      count(distinct store_and_fwd_flag)::int as flags,
      count(*) filter (where year(tpep_pickup_datetime) in (2008, 2009))::int as old_years,
      count(*) filter (where tpep_pickup_datetime::date in ('2020-12-31', '2021-02-01'))::int as edges,
      count(*) filter (where fare_amount = 12.5)::int as twelve_fifty,
      count(*) filter (where month(tpep_pickup_datetime) = 1 and year(tpep_pickup_datetime) = 2021)::int as january
    from read_csv('${file}', header = true)`);
  assert.ok(Number(q?.refunds) > 0, 'refunds');
  assert.equal(q?.flags, 2);
  assert.ok(Number(q?.old_years) > 0, 'stray 2008/2009 pickups');
  assert.ok(Number(q?.edges) > 0, 'pickups on 2020-12-31 or 2021-02-01');
  assert.ok(Number(q?.twelve_fifty) > 0);
  assert.ok(Number(q?.january) > 199_900);
  assert.match(readFileSync(file, 'utf8').slice(0, 2_000), /,-?\d+\.\d\d?,/);
});

test('is deterministic for a seed and differs across seeds', async () => {
  const a = path.join(root, 'a.csv');
  const b = path.join(root, 'b.csv');
  const c = path.join(root, 'c.csv');
  await writeYellowTaxiCsv(a, { rows: 5_000, seed: 42 });
  await writeYellowTaxiCsv(b, { rows: 5_000, seed: 42 });
  await writeYellowTaxiCsv(c, { rows: 5_000, seed: 43 });
  assert.ok(readFileSync(a).equals(readFileSync(b)));
  assert.ok(!readFileSync(a).equals(readFileSync(c)));
});

test('writes the real month size (1,369,765 rows, gzip) in well under 20 seconds', async () => {
  const file = path.join(root, 'month.csv.gz');
  const started = performance.now();
  const stats = await writeYellowTaxiCsv(file, { rows: 1_369_765, seed: 2021, gzip: true });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(stats.rows, 1_369_765);
  assert.ok(seconds < 15, `took ${seconds.toFixed(1)} s`);
});
