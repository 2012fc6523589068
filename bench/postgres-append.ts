// Postgres `mode: append` against `mode: replace` of the same rows into the same server, alternated in one run
// (medians of 3): append stages and INSERTs, so it cannot beat replace; the goal is to stay close (≤ 1.3×).
import { blockError, createPgProject, runPipeline, startTestPostgres, writeExportPipeline } from '../test/helpers/postgres.ts';

const ROWS = Number(process.env.BENCH_PG_APPEND_ROWS ?? 1_000_000);
// Taxi-like columns: integers, a timestamp, doubles, text.
const SQL = `select range as id, (range % 7)::integer as vendor, timestamp '2021-01-01' + to_seconds(range) as pickup,
  range * 0.25 as fare, (range % 100) / 3.0 as distance, 'N' || (range % 3) as flag from range(${ROWS})`;

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
