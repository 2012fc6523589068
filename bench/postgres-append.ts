// Postgres `mode: append` against `mode: replace` of the same rows into the same server, alternated in one run
// (medians of 3): append stages and INSERTs, so it cannot beat replace; the goal is to stay close (≤ 1.3×).
import { blockError, createPgProject, runPipeline, startTestPostgres, writeExportPipeline } from '../test/helpers/postgres.ts';

const ROWS = Number(process.env.BENCH_PG_APPEND_ROWS ?? 1_000_000);
// The yellow taxi file's 19 columns and types: integers, two timestamps, doubles, a flag.
const SQL = `select range % 2 + 1 as vendor_id, timestamp '2021-01-01' + to_seconds(range % 2600000) as tpep_pickup_datetime,
  timestamp '2021-01-01' + to_seconds(range % 2600000 + 600) as tpep_dropoff_datetime, range % 6 + 1 as passenger_count,
  (range % 1000) / 97.0::double as trip_distance, range % 5 + 1 as ratecode_id, case when range % 50 = 0 then 'Y' else 'N' end as store_and_fwd_flag,
  range % 265 + 1 as pu_location_id, (range * 7) % 265 + 1 as do_location_id, range % 4 + 1 as payment_type,
  (range % 5000) / 100.0::double as fare_amount, 0.5::double as extra, 0.5::double as mta_tax, (range % 700) / 100.0::double as tip_amount,
  0.0::double as tolls_amount, 0.3::double as improvement_surcharge, (range % 9000) / 100.0::double as total_amount,
  2.5::double as congestion_surcharge, (timestamp '2021-01-01' + to_seconds(range % 2600000))::date as tpep_pickup_date
  from range(${ROWS})`;

export async function runPostgresAppendSection(): Promise<void> {
  const pg = await startTestPostgres();
  const project = createPgProject(pg);
  try {
    const time = async (mode: 'replace' | 'append') => {
      writeExportPipeline(project, { sql: SQL, config: { schema: 'bench', table: `t_${mode}`, mode } });
      const started = performance.now();
      const { result } = await runPipeline(project.dir);
      if (result.status !== 'succeeded') throw new Error(`${mode} failed: ${blockError(result, 'to_pg')}`);
      return performance.now() - started;
    };
    const times = { replace: [] as number[], append: [] as number[] };
    for (let i = 0; i < 3; i++) for (const mode of ['replace', 'append'] as const) times[mode].push(await time(mode));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] ?? NaN;
    const [replace, append] = [median(times.replace), median(times.append)];
    console.log(`\nPostgres append vs replace, ${ROWS.toLocaleString('en-US')} rows (whole pipeline run, in process, medians of 3)`);
    console.log(
      `  replace ${(replace / 1000).toFixed(2)} s, append ${(append / 1000).toFixed(2)} s: append ${(append / replace).toFixed(2)}x replace (goal ≤ 1.3x)`,
    );
  } finally {
    project.cleanup();
    await pg.stop();
  }
}

if (process.argv[1]?.endsWith('postgres-append.ts')) await runPostgresAppendSection();
