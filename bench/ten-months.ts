// `npm run bench -- ten-months` (issue 18, goal 4): yellow_taxi_etl over ten generated months (13.7M rows, one
// CSV.gz per month over local HTTP) to Postgres and Parquet partitioned by pickup date, at the example's
// memory_limit 300MB. The months go through the example's own idiom for several files, green_taxi_etl's: a dynamic
// block lists the month URLs, load_yellow_taxi fans out one child per month and `reduce: true` unions them, so clean
// and the two exports run once over the ten months (one Postgres table, one partitioned folder: nothing a month writes
// is replaced by the next). Measured: `pipewright run` as a whole process (start included; peak RSS of its process
// tree), against `psql \copy` of the same cleaned rows (the CSV written by DuckDB first, not timed) into the same
// table. The Postgres server is the bench's, counted in neither. Then the destinations are checked against the
// generator's counts: Postgres rows = kept rows, Parquet partitions = distinct pickup dates. Last, the other way a user
// has: `pipewright backfill --every month`, one run per month appending to the table and to the Parquet folder
// (`mode: append` on both exports), timed and checked the same way.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import { connectPostgres } from '../main/postgres/pg-connect.ts';
import { parse, stringify } from 'yaml';
import { loadProject } from '../main/project/load-project.ts';
import { resolvePostgresConnection } from '../main/connections/resolve-connection.ts';
import type { PostgresConnection } from '../main/model/connection-profile.ts';
import { LocalPostgres } from '../main/postgres/local-server.ts';
import { writeYellowTaxiCsv } from '../test/helpers/taxi-csv.ts';
import { startFileServer, type FileServer } from '../test/helpers/http-server.ts';
import { hasTool, psqlCopyFile, writeTransformedCsv, type Measured } from './postgres-contenders.ts';
import { sampleTreeRss } from './process-tree-rss.ts';
import { backfillPipeline, INTERVAL_MONTH_SQL, MONTHS_SQL, tenMonthsPipeline } from './ten-months-pipeline.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** January 2021's real row count, for every month; BENCH_TEN_MONTHS_ROWS / _COUNT shrink it for a quick look. */
const ROWS = Number(process.env.BENCH_TEN_MONTHS_ROWS ?? 1_369_765);
const MONTHS = Array.from({ length: Number(process.env.BENCH_TEN_MONTHS_COUNT ?? 10) }, (_, i) => i + 1);
const YEAR = 2021;

interface MonthFile {
  month: number;
  file: string;
  keptRows: number;
  keptDates: string[];
}

interface CliRun extends Measured {
  treePeakMb: number;
  processes: number;
  status: 'succeeded' | 'failed';
  /** `run --json`'s blocks; `backfill --json` has runs instead. */
  json: { blocks?: { id: string; durationMs: number | null }[] };
}

/** Generates (once) and serves the months, runs the pipeline and psql \copy, checks the destinations, prints. */
export async function runTenMonthsSection(opts: { work: string; server?: FileServer }): Promise<void> {
  const dir = path.join(opts.work, 'ten-months');
  mkdirSync(dir, { recursive: true });
  const months = await generateMonths(dir);
  const server = opts.server ?? (await startFileServer());
  for (const m of months) server.serve(`/ten-months/${path.basename(m.file)}`, { file: m.file });
  const project = setUpProject(dir);
  const conn = await resolvePostgresConnection(await loadProject(project), 'local_pg', { log: (m) => console.log(`  ${m}`) });
  try {
    const raw = months.length * ROWS;
    const kept = months.reduce((sum, m) => sum + m.keptRows, 0);
    const dates = new Set(months.flatMap((m) => m.keptDates));
    console.log(
      `\nyellow_taxi_etl over ${months.length} months (${raw.toLocaleString('en-US')} rows, dynamic block → ${months.length} load children → reduce → clean → Postgres + partitioned Parquet), memory_limit 300MB`,
    );
    await runCli(project, ['--help'], false); // builds the CLI bundle if a source changed, outside the measured run
    const common = ['--project', project, '--var', `base_url=${server.url}/ten-months`, '--json'];
    const last = `${YEAR}-${String(MONTHS.at(-1)).padStart(2, '0')}-01`;
    const backfillArgs = ['backfill', 'yellow_taxi_backfill', '--from', `${YEAR}-01-01`, '--to', last, '--every', 'month', ...common];
    const transformed = path.join(dir, `cleaned_${months.length}x${ROWS}.csv`);
    const psql = async () => {
      // The cleaned CSV is written (once, not timed) after the first run, so that run sees a quiet disk.
      if (!existsSync(transformed))
        await writeTransformedCsv(
          months.map((m) => m.file),
          transformed,
        );
      return hasTool('psql', ['--version']) ? psqlCopyFile(transformed, conn) : undefined;
    };
    // Cold (downloads the months), psql, warm (the download cache filled), psql: each sees the other's load. Then the
    // backfill way (one run per month, appending), into the table emptied and a Parquet folder of its own.
    const runs: { label: string; run: CliRun; landed: Landed }[] = [];
    const copies: Measured[] = [];
    for (const label of ['cold', 'warm']) {
      const run = await runCli(project, ['run', 'yellow_taxi_months', ...common]);
      if (run.status !== 'succeeded') return console.log(`  completes: no (${label} run failed)`);
      runs.push({ label, run, landed: await checkDestinations(project, conn, 'output/yellow_taxi') });
      const copy = await psql();
      if (copy) copies.push(copy);
    }
    await truncate(conn);
    const backfill = await runCli(project, backfillArgs);
    if (backfill.status === 'succeeded')
      runs.push({ label: 'backfill', run: backfill, landed: await checkDestinations(project, conn, 'output/yellow_taxi_backfill') });
    else console.log('  the backfill way: failed');
    report({ runs, copies, raw, kept, dates: dates.size });
  } finally {
    await LocalPostgres.at(path.join(project, '.pipewright')).stop();
    if (!opts.server) await server.close();
  }
}

/** The months as yellow_tripdata_2021-MM.csv.gz, each with its kept rows and pickup dates beside it (.json). */
async function generateMonths(dir: string): Promise<MonthFile[]> {
  const files: MonthFile[] = [];
  for (const month of MONTHS) {
    const file = path.join(dir, `yellow_tripdata_${YEAR}-${String(month).padStart(2, '0')}_${ROWS}.csv.gz`);
    const statsFile = `${file}.json`;
    if (!existsSync(statsFile)) {
      const started = performance.now();
      const stats = await writeYellowTaxiCsv(file, { rows: ROWS, seed: YEAR * 100 + month, gzip: true, year: YEAR, month });
      writeFileSync(statsFile, JSON.stringify({ keptRows: stats.keptRows, keptDates: Object.keys(stats.keptRowsByDate) }));
      console.log(`generated ${path.basename(file)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { keptRows: number; keptDates: string[] };
    files.push({ month, file, ...stats });
  }
  return files;
}

/** A fresh copy of the example with the ten-month pipeline beside yellow_taxi_etl. */
function setUpProject(dir: string): string {
  const project = path.join(dir, 'project');
  rmSync(project, { recursive: true, force: true });
  cpSync(path.join(here, '..', 'examples', 'nyc-taxi'), project, { recursive: true });
  const etl = parse(readFileSync(path.join(project, 'pipelines', 'yellow_taxi_etl', 'pipeline.yaml'), 'utf8')) as Record<string, unknown>;
  mkdirSync(path.join(project, 'pipelines', 'yellow_taxi_months'), { recursive: true });
  writeFileSync(
    path.join(project, 'pipelines', 'yellow_taxi_months', 'pipeline.yaml'),
    stringify(tenMonthsPipeline(etl, { year: YEAR, months: MONTHS, rowsPerMonth: ROWS })),
  );
  writeFileSync(path.join(project, 'blocks', 'yellow_taxi_months.sql'), MONTHS_SQL);
  mkdirSync(path.join(project, 'pipelines', 'yellow_taxi_backfill'), { recursive: true });
  writeFileSync(
    path.join(project, 'pipelines', 'yellow_taxi_backfill', 'pipeline.yaml'),
    stringify(backfillPipeline(etl, { rowsPerMonth: ROWS })),
  );
  writeFileSync(path.join(project, 'blocks', 'yellow_taxi_interval_month.sql'), INTERVAL_MONTH_SQL);
  return project;
}

/** `pipewright <args>` as a whole process under /usr/bin/time, with its process tree's RSS sampled. */
function runCli(project: string, args: string[], measured = true): Promise<CliRun> {
  const cli = path.join(here, '..', 'main', 'cli', 'pipewright.mjs');
  const withTime = measured && existsSync('/usr/bin/time');
  const argv = [process.execPath, cli, ...args];
  const started = performance.now();
  const child = spawn(withTime ? '/usr/bin/time' : argv[0]!, withTime ? ['-f', 'PW_MAXRSS_KB %M', ...argv] : argv.slice(1), {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tree = sampleTreeRss(child.pid ?? 0);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  // Progress and logs: only the tail is kept, for the error message.
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const { peakMb, processes } = tree.stop();
      // Exit 1: the run (or a backfill's run) failed; anything else is the bench's or the CLI's problem.
      if (code !== 0 && code !== 1) return reject(new Error(`pipewright ${args[0]} exited ${code}: ${stderr.slice(-3000)}`));
      if (code === 1) console.log(`  pipewright ${args[0]} failed; its log ends:\n${stderr.slice(-3000)}`);
      const json = measured && stdout.trim() ? (JSON.parse(stdout) as CliRun['json']) : {};
      const kb = Number(/PW_MAXRSS_KB (\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ ms, maxRssMb: kb / 1024, treePeakMb: peakMb, processes, status: code === 0 ? 'succeeded' : 'failed', json });
    });
  });
}

interface Landed {
  pgRows: number;
  pgDates: number;
  parquetRows: number;
  partitions: number;
}

/** What the run left: rows and distinct pickup dates in Postgres, rows and partition folders of the Parquet. */
async function checkDestinations(project: string, conn: PostgresConnection, parquetFolder: string): Promise<Landed> {
  const pgCounts = await pgQuery<{ n: string; d: string }>(
    conn,
    'SELECT count(*) AS n, count(DISTINCT tpep_pickup_date) AS d FROM ny_taxi.yellow_cab_data',
  );
  const folder = path.join(project, parquetFolder);
  const partitions = existsSync(folder) ? readdirSync(folder).filter((name) => name.startsWith('tpep_pickup_date=')).length : 0;
  let parquetRows = 0;
  if (partitions > 0) {
    const duck = await DuckDBInstance.create(':memory:');
    const c = await duck.connect();
    const reader = await c.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet('${folder}/*/*.parquet')`);
    parquetRows = Number(reader.getRowObjects()[0]?.n);
    c.closeSync();
    duck.closeSync();
  }
  return { pgRows: Number(pgCounts[0]?.n), pgDates: Number(pgCounts[0]?.d), parquetRows, partitions };
}

async function truncate(conn: PostgresConnection): Promise<void> {
  await pgQuery(conn, 'TRUNCATE ny_taxi.yellow_cab_data');
}

async function pgQuery<R extends pg.QueryResultRow>(conn: PostgresConnection, sql: string): Promise<R[]> {
  // connectPostgres listens for the client's 'error' event: a server that dies (PANIC) fails the query, not the bench.
  const client = await connectPostgres(conn);
  return (await client.query<R>(sql).finally(() => client.end())).rows;
}

function report(r: {
  runs: { label: string; run: CliRun; landed: Landed }[];
  copies: Measured[];
  raw: number;
  kept: number;
  dates: number;
}): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const perSecond = (rows: number, ms: number) => `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s`;
  const ok = (yes: boolean) => (yes ? 'ok' : 'MISMATCH');
  const bestCopy = r.copies.length > 0 ? Math.min(...r.copies.map((c) => c.ms)) : undefined;
  console.log('  completes: yes   (goal 4: completes; time and peak RSS against psql \\copy; goal 3 bounds one month at 700 MB)');
  for (const { label, run, landed } of r.runs) {
    console.log(
      `  pipewright ${label === 'backfill' ? 'backfill, 1 run per month' : `run (${label})`}, whole process: ${s(run.ms)}, ${r.raw.toLocaleString('en-US')} rows read (${perSecond(r.raw, run.ms)}), ` +
        `${r.kept.toLocaleString('en-US')} cleaned (${perSecond(r.kept, run.ms)}); peak RSS ${run.maxRssMb.toFixed(0)} MB ` +
        `(largest process), ${run.treePeakMb.toFixed(0)} MB (process tree, ${run.processes} process${run.processes === 1 ? '' : 'es'} at most)` +
        (bestCopy ? `; ${(run.ms / bestCopy).toFixed(2)}x psql \\copy` : ''),
    );
    const blocks = (run.json.blocks ?? []).filter((b) => !b.id.includes('['));
    if (blocks.length > 0) console.log(`    per block: ${blocks.map((b) => `${b.id} ${s(b.durationMs ?? 0)}`).join(', ')}`);
    console.log(
      `    landed: Postgres ${landed.pgRows.toLocaleString('en-US')} rows (${ok(landed.pgRows === r.kept)}, expected ${r.kept.toLocaleString('en-US')}), ` +
        `${landed.pgDates} pickup dates (${ok(landed.pgDates === r.dates)}); Parquet ${landed.parquetRows.toLocaleString('en-US')} rows ` +
        `(${ok(landed.parquetRows === r.kept)}), ${landed.partitions} partitions (${ok(landed.partitions === r.dates)}, expected ${r.dates} distinct pickup dates)`,
    );
  }
  if (r.copies.length === 0) return console.log('  psql \\copy skipped: psql not found (Debian: apt-get install postgresql-client)');
  console.log(
    `  psql \\copy of the cleaned rows, whole process: ${r.copies.map((c) => `${s(c.ms)} (${perSecond(r.kept, c.ms)}, peak RSS ${c.maxRssMb.toFixed(0)} MB)`).join(', ')}`,
  );
  console.log('  (the ratios are against the faster psql; pipewright also downloads, parses, cleans, checks and writes the Parquet)');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runTenMonthsSection({ work: path.join(here, '.work') });
}
