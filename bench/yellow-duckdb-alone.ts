// Baseline child: DuckDB alone does the pipeline's read + filter + rename + partitioned Parquet write in one COPY.
// `--materialise` is the floor for a pipeline that checks its cleaned rows before exporting them: the same SELECT into a
// table of a database file (as the workspace holds outputs), then that table to partitioned Parquet.
// Prints {"ms", "maxRssMb", "rows"} as one JSON line.
import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { toSnakeCase } from '../main/blocks/snake-case.ts';
import { YELLOW_COLUMNS } from './yellow-columns.ts';

const [csvPath, outDir, mode] = process.argv.slice(2);
if (!csvPath || !outDir) throw new Error('usage: yellow-duckdb-alone <csv> <out-dir> [--materialise]');
const isMaterialised = mode === '--materialise';
const dbFile = `${outDir}.duckdb`;
for (const file of [dbFile, `${dbFile}.wal`]) rmSync(file, { force: true });
const started = performance.now();
const cpuAtStart = process.cpuUsage(); // module loading (tsx compiling the engine) is not timed either
// As the workspace: insertion order off (a CREATE TABLE … AS runs in parallel); no memory limit, like the COPY.
const instance = await DuckDBInstance.create(
  isMaterialised ? dbFile : ':memory:',
  isMaterialised ? { preserve_insertion_order: 'false' } : {},
);
const conn = await instance.connect();
const types = Object.entries(YELLOW_COLUMNS)
  .map(([name, type]) => `'${name}': '${type}'`)
  .join(', ');
const select = Object.keys(YELLOW_COLUMNS)
  .map((name) => `"${name}" AS "${toSnakeCase(name)}"`)
  .join(', ');
const clean = `SELECT ${select}, CAST(tpep_pickup_datetime AS DATE) AS tpep_pickup_date
  FROM read_csv('${csvPath}', header = true, timestampformat = '%Y-%m-%d %H:%M:%S', types = {${types}})
  WHERE passenger_count > 0`;
if (isMaterialised) {
  await conn.run(`CREATE TABLE clean AS ${clean}`);
  await conn.run(`COPY clean TO '${outDir}' (FORMAT parquet, PARTITION_BY (tpep_pickup_date), OVERWRITE_OR_IGNORE)`);
} else {
  await conn.run(`COPY (${clean}) TO '${outDir}' (FORMAT parquet, PARTITION_BY (tpep_pickup_date), OVERWRITE_OR_IGNORE)`);
}
const counted = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet('${outDir}/**/*.parquet')`);
const rows = Number(counted.getRowObjects()[0]?.n);
conn.closeSync();
instance.closeSync();
process.stdout.write(
  `${JSON.stringify({ ms: performance.now() - started, cpuMs: cpuMs(), maxRssMb: process.resourceUsage().maxRSS / 1024, rows })}\n`,
);

/** CPU time of this process since `started` (DuckDB's threads included): steadier than wall time when other work shares the cores. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage(cpuAtStart);
  return (user + system) / 1000;
}
