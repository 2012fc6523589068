import { startTestPostgres, type TestPostgres } from './postgres.ts';
import { startBigQueryFixture, type BigQueryFixture } from './bigquery.ts';

/**
 * Both warehouses a push-down test runs in: the embedded Postgres and the BigQuery emulator, each with a table
 * `src.trips` of 300 trips (`id` 1..300, `day` = id % 3). On a failed setup both are stopped again.
 */
export async function startTripWarehouses(): Promise<{ pgServer: TestPostgres; bq: BigQueryFixture }> {
  const [pgServer, bq] = await Promise.all([startTestPostgres(), startBigQueryFixture()]);
  try {
    await pgServer.query(`create schema src; create table src.trips as select i as id, i % 3 as day from generate_series(1, 300) as i`);
    await bq.bigquery.dataset('src').create();
    await bq.bigquery.query(
      'CREATE TABLE `test-project.src.trips` AS SELECT id, MOD(id, 3) AS day FROM UNNEST(GENERATE_ARRAY(1, 300)) AS id',
    );
  } catch (error) {
    await Promise.all([pgServer.stop(), bq.close()]);
    throw error;
  }
  return { pgServer, bq };
}
