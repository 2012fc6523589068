// The Postgres section of `npm run bench`: three contenders load the same month into ny_taxi.yellow_cab_data on the
// same local Postgres. (a) Pipewright's yellow_taxi_etl end to end on its path to Postgres: load, clean, export
// (warm download cache; (a') is the whole pipeline, whose Parquet export (c) does not do); (b) the limit, `psql \copy`
// of the already-transformed CSV; (c) the course's Mage way, pandas read_csv + filter + to_csv buffer + psycopg2
// copy_expert. Needs `psql` (Debian postgresql-client) for (b) and python3 with pandas + psycopg2 (Debian
// python3-pandas python3-psycopg2) for (c), and /usr/bin/time for the peak RSS of (b) and (c); a missing tool skips
// its contender with a note. Nothing is installed here.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { connectPostgres } from '../main/postgres/pg-connect.ts';
import { parseDocument } from 'yaml';
import { loadProject } from '../main/project/load-project.ts';
import { resolvePostgresConnection } from '../main/connections/resolve-connection.ts';
import type { PostgresConnection } from '../main/model/connection-profile.ts';
import { LocalPostgres } from '../main/postgres/local-server.ts';
import { toSnakeCase } from '../main/blocks/snake-case.ts';
import { YELLOW_COLUMNS } from './yellow-columns.ts';

/** cpuMs: the contender's own CPU time (user + system), not the Postgres server's: steadier than wall time on a busy machine. */
export interface Measured {
  ms: number;
  cpuMs?: number;
  maxRssMb: number;
  rows?: number;
  status?: string;
}
type RunChild = (script: string, args: string[]) => Promise<Measured & { blocks?: { id: string; durationMs: number | null }[] }>;

const TABLE = 'ny_taxi.yellow_cab_data';

/** Runs the three contenders and prints wall time, peak RSS and the ratios against the issue's goals. */
export async function runPostgresSection(opts: {
  work: string;
  exampleDir: string;
  csv: string;
  url: string;
  runChild: RunChild;
}): Promise<void> {
  const project = path.join(opts.work, 'nyc-taxi-pg');
  rmSync(project, { recursive: true, force: true });
  cpSync(opts.exampleDir, project, { recursive: true });
  // The bench holds the server for all contenders; (a)'s runs find it running and reuse it.
  const conn = await resolvePostgresConnection(await loadProject(project), 'local_pg', { log: (m) => console.log(`  ${m}`) });
  try {
    console.log('\nyellow_taxi_etl to Postgres (ny_taxi.yellow_cab_data), same month, same local Postgres');
    await opts.runChild('postgres-pipewright.ts', [project, opts.url]); // cold: fills the download cache
    const a = await opts.runChild('postgres-pipewright.ts', [project, opts.url]);
    const aRows = await countRows(conn);
    const whole = await opts.runChild('postgres-pipewright.ts', [project, opts.url, '--whole']);
    const exportSeconds = (r: { blocks?: { id: string; durationMs: number | null }[] }) =>
      ((r.blocks?.find((b) => b.id === 'export_yellow_taxi_postgres')?.durationMs ?? 0) / 1000).toFixed(2);
    console.log(
      `  (a) Pipewright, load + clean + Postgres export (warm): ${fmt(a)}, ${aRows.toLocaleString('en-US')} rows in Postgres, status ${a.status}`,
    );
    console.log(`      of which the Postgres export block: ${exportSeconds(a)} s`);
    console.log(
      `  (a') the whole pipeline (the Parquet export too, on the same cores): ${fmt(whole)}, export block ${exportSeconds(whole)} s, status ${whole.status}`,
    );
    const b = await psqlCopy(opts.work, opts.csv, conn);
    const c = await pandasCopy(opts.csv, conn);
    if (b) console.log(`  (b) psql \\copy of the transformed CSV: ${fmt(b)}, ${(await countRows(conn)).toLocaleString('en-US')} rows`);
    if (c) console.log(`  (c) pandas + psycopg2 copy_expert:    ${fmt(c)}, ${(await countRows(conn)).toLocaleString('en-US')} rows`);
    if (b) console.log(`  ratio (a) / (b): ${(a.ms / b.ms).toFixed(2)}x   (goal <= 1.5x);  (a') / (b): ${(whole.ms / b.ms).toFixed(2)}x`);
    if (b) await compareWholeProcesses(project, opts, conn, b);
    if (c) {
      console.log(`  ratio (c) / (a): ${(c.ms / a.ms).toFixed(2)}x faster   (goal >= 4x);  (c) / (a'): ${(c.ms / whole.ms).toFixed(2)}x`);
      if (a.cpuMs && c.cpuMs)
        console.log(
          `  client CPU (c) / (a): ${(c.cpuMs / a.cpuMs).toFixed(2)}x   (steadier than wall time when other work shares the cores)`,
        );
      console.log(
        `  peak RSS (a) / (c): ${((a.maxRssMb / c.maxRssMb) * 100).toFixed(0)}%   (goal <= 40%);  (a') / (c): ${((whole.maxRssMb / c.maxRssMb) * 100).toFixed(0)}%`,
      );
    }
  } finally {
    await LocalPostgres.at(path.join(project, '.pipewright')).stop();
  }
}

/**
 * Goal 1 of issue 18, as the user sees it: `pipewright run` (load, clean, COPY) as a whole process, its start included,
 * against `psql \copy` of the cleaned CSV as a whole process, alternated in three rounds so both see the same load.
 */
async function compareWholeProcesses(
  project: string,
  opts: { work: string; csv: string; url: string },
  conn: PostgresConnection,
  first: Measured,
): Promise<void> {
  const cli = path.join(import.meta.dirname, '..', 'main', 'cli', 'pipewright.mjs');
  const args = [
    cli,
    'run',
    'yellow_taxi_etl',
    '--project',
    project,
    '--block',
    'export_yellow_taxi_postgres',
    '--with-upstream',
    '--var',
    `source_url=${opts.url}`,
  ];
  // Three rounds, each a psql \copy then a pipewright run (the first psql figure is the one measured above): a ratio per
  // round, so each compares two processes that saw the same load; the median ratio is the figure.
  // Untimed: builds the CLI bundle when a source is newer than it, so no round pays for that.
  spawnSync(process.execPath, [cli, '--help'], { stdio: 'ignore' });
  const rounds: { run: Measured; copy: Measured }[] = [];
  for (let i = 0; i < 3; i++) {
    const copy = i === 0 ? first : ((await psqlCopy(opts.work, opts.csv, conn)) as Measured);
    rounds.push({ copy, run: await timed(process.execPath, args) });
  }
  const ratios = rounds.map((r) => r.run.ms / r.copy.ms);
  const s = (m: Measured) => `${(m.ms / 1000).toFixed(2)} s`;
  console.log(
    `  (a'') pipewright run, whole process (start included) / psql \\copy whole process, per round: ${rounds.map((r) => `${s(r.run)} / ${s(r.copy)}`).join(', ')}`,
  );
  console.log(
    `  ratio (a'') / (b), median of ${ratios.length} rounds: ${median(ratios).toFixed(2)}x (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')})   (goal <= 1.0x)`,
  );
}

function median(xs: number[]): number {
  return [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
}

/** Drops the Postgres export from a copy of the example, so the foundation section measures what it always did. */
export function withoutPostgresExport(project: string): void {
  const file = path.join(project, 'pipelines', 'yellow_taxi_etl', 'pipeline.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const blocks = doc.get('blocks') as { items: { get(key: string): unknown }[] };
  blocks.items = blocks.items.filter((block) => block.get('kind') !== 'postgres');
  writeFileSync(file, doc.toString());
}

function fmt(r: Measured): string {
  const cpu = r.cpuMs === undefined ? '' : `, client CPU ${(r.cpuMs / 1000).toFixed(2)} s`;
  return `${(r.ms / 1000).toFixed(2)} s, peak RSS ${Number.isFinite(r.maxRssMb) ? r.maxRssMb.toFixed(0) : '?'} MB${cpu}`;
}

export async function countRows(conn: PostgresConnection): Promise<number> {
  // connectPostgres listens for the client's 'error' event: a server that dies (PANIC) fails the query, not the bench.
  const client = await connectPostgres(conn);
  try {
    return Number((await client.query(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0]?.n);
  } finally {
    await client.end();
  }
}

export function hasTool(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function pgUrl(conn: PostgresConnection): string {
  return `postgresql://${conn.user}:${encodeURIComponent(conn.password ?? '')}@${conn.host}:${conn.port}/${conn.database}`;
}

/** (b): DuckDB writes the transformed month as CSV (not timed); psql \copy loads it into the emptied table (timed). */
async function psqlCopy(work: string, csvGz: string, conn: PostgresConnection): Promise<Measured | undefined> {
  if (!hasTool('psql', ['--version'])) return skip('(b) skipped: psql not found (Debian: apt-get install postgresql-client)');
  const transformed = path.join(work, `${path.basename(csvGz, '.csv.gz')}_transformed.csv`);
  if (!existsSync(transformed)) await writeTransformedCsv(csvGz, transformed);
  return psqlCopyFile(transformed, conn);
}

/** `psql \\copy` of an already-transformed CSV into the emptied table, as a whole process (timed, peak RSS). */
export function psqlCopyFile(transformed: string, conn: PostgresConnection): Promise<Measured> {
  const copy = `\\copy ${TABLE} FROM '${transformed}' WITH (FORMAT csv, HEADER true)`;
  return timed('psql', [pgUrl(conn), '-v', 'ON_ERROR_STOP=1', '-q', '-c', `TRUNCATE ${TABLE}`, '-c', copy]);
}

/** What clean_yellow_taxi makes of one or more raw files (the course's types, the filter, snake_case), as one CSV. */
export async function writeTransformedCsv(csvGz: string | string[], target: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const types = Object.entries(YELLOW_COLUMNS)
    .map(([name, type]) => `'${name}': '${type}'`)
    .join(', ');
  const select = Object.keys(YELLOW_COLUMNS)
    .map((name) => `"${name}" AS "${toSnakeCase(name)}"`)
    .join(', ');
  await conn.run(`COPY (SELECT ${select}, CAST(tpep_pickup_datetime AS DATE) AS tpep_pickup_date
    FROM read_csv([${[csvGz]
      .flat()
      .map((file) => `'${file}'`)
      .join(', ')}], header = true, timestampformat = '%Y-%m-%d %H:%M:%S', types = {${types}}) WHERE passenger_count > 0)
    TO '${target}' (FORMAT csv, HEADER true)`);
  conn.closeSync();
  instance.closeSync();
}

/** (c): the course's Mage blocks in one Python process: loader dtypes, transformer filter, exporter COPY from a buffer. */
async function pandasCopy(csvGz: string, conn: PostgresConnection): Promise<Measured | undefined> {
  if (!hasTool('/usr/bin/python3', ['-c', 'import pandas, psycopg2'])) {
    return skip('(c) skipped: python3 with pandas and psycopg2 not found (Debian: apt-get install python3-pandas python3-psycopg2)');
  }
  const script = `
import io, sys, re, pandas as pd, psycopg2
dtypes = {'VendorID': pd.Int64Dtype(), 'passenger_count': pd.Int64Dtype(), 'trip_distance': float, 'RatecodeID': pd.Int64Dtype(),
  'store_and_fwd_flag': str, 'PULocationID': pd.Int64Dtype(), 'DOLocationID': pd.Int64Dtype(), 'payment_type': pd.Int64Dtype(),
  'fare_amount': float, 'extra': float, 'mta_tax': float, 'tip_amount': float, 'tolls_amount': float,
  'improvement_surcharge': float, 'total_amount': float, 'congestion_surcharge': float}
df = pd.read_csv(sys.argv[1], sep=',', compression='gzip', dtype=dtypes, parse_dates=['tpep_pickup_datetime', 'tpep_dropoff_datetime'])
df = df[df['passenger_count'] > 0]
df['tpep_pickup_date'] = df['tpep_pickup_datetime'].dt.date
df.columns = [re.sub(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])', '_', c).lower() for c in df.columns]
buffer = io.StringIO()
df.to_csv(buffer, index=False, header=False)
buffer.seek(0)
with psycopg2.connect(sys.argv[2]) as conn, conn.cursor() as cur:
    cur.execute('TRUNCATE ${TABLE}')
    cur.copy_expert('COPY ${TABLE} FROM STDIN (FORMAT csv)', buffer)
`;
  return timed('/usr/bin/python3', ['-c', script, csvGz, pgUrl(conn)]);
}

function skip(note: string): undefined {
  console.log(`  ${note}`);
  return undefined;
}

/** Runs a command (under /usr/bin/time for its peak RSS when available) and measures its wall time. */
function timed(command: string, args: string[]): Promise<Measured> {
  const withTime = existsSync('/usr/bin/time');
  const [cmd, argv] = withTime ? ['/usr/bin/time', ['-f', 'PW_MAXRSS_KB %M PW_CPU_S %U %S', command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(cmd, argv, { stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${command} exited ${code}: ${stderr.slice(-2000)}`));
      const kb = Number(/PW_MAXRSS_KB (\d+)/.exec(stderr)?.[1] ?? NaN);
      const cpu = /PW_CPU_S ([\d.]+) ([\d.]+)/.exec(stderr);
      resolve({ ms, maxRssMb: kb / 1024, ...(cpu ? { cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 } : {}) });
    });
  });
}
