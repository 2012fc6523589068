import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { JobMetadata, Query, TableMetadata } from '@google-cloud/bigquery';
import { startBigQueryFixture, type BigQueryFixture } from './bigquery.ts';

export const TRIP_COUNT = 1000;
// 1000 trips: vendor 'v0'..'v2' (2 characters), a FLOAT64 fare, a TIMESTAMP and a DATE.
const TRIPS = `SELECT range::BIGINT AS id, 'v' || (range % 3) AS vendor, (range * 0.5)::DOUBLE AS fare,
  TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL (range) HOUR AS picked_at, DATE '2021-01-01' + (range // 24)::INTEGER AS pickup_date FROM range(${TRIP_COUNT})`;
const TRIPS_SCHEMA = [
  { name: 'id', type: 'INTEGER' },
  { name: 'vendor', type: 'STRING' },
  { name: 'fare', type: 'FLOAT' },
  { name: 'picked_at', type: 'TIMESTAMP' },
  { name: 'pickup_date', type: 'DATE' },
];

/** A BigQuery emulator with dataset `wh` holding `trips` (loaded from Parquet), and helpers over the official client. */
export interface TripsWarehouse {
  bq: BigQueryFixture;
  /** Runs a query job to DONE and answers its final resource. */
  run(query: string, options?: Omit<Query, 'query'>): Promise<JobMetadata>;
  /** Runs a query job that must fail, and answers its errorResult. */
  failure(query: string, options?: Omit<Query, 'query'>): Promise<{ reason: string; message: string }>;
  tableMeta(tableId: string): Promise<TableMetadata>;
  /** The `id` column of a table in `wh`, in storage order. */
  ids(tableId: string): Promise<number[]>;
}

export async function startTripsWarehouse(): Promise<TripsWarehouse> {
  const bq = await startBigQueryFixture();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bq-query-'));
  const file = path.join(dir, 'trips.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'; COPY (${TRIPS}) TO '${file}' (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
  await bq.bigquery.createDataset('wh');
  await bq.bigquery
    .dataset('wh')
    .table('trips')
    .load(file, { sourceFormat: 'PARQUET', schema: { fields: TRIPS_SCHEMA } });
  return {
    bq,
    run: async (query, options = {}) => {
      const [job] = await bq.bigquery.createQueryJob({ query, ...options });
      await job.promise();
      return (await job.getMetadata())[0];
    },
    failure: async (query, options = {}) => {
      const [job] = await bq.bigquery.createQueryJob({ query, ...options });
      await assert.rejects(job.promise());
      const [meta] = await job.getMetadata();
      assert.equal(meta.status?.state, 'DONE');
      return meta.status?.errorResult as { reason: string; message: string };
    },
    tableMeta: async (tableId) => (await bq.bigquery.dataset('wh').table(tableId).getMetadata())[0],
    ids: async (tableId) => {
      const [rows] = await bq.bigquery.dataset('wh').table(tableId).getRows();
      return rows.map((r) => Number(r.id));
    },
  };
}
