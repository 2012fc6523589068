// Baseline child: DuckDB alone does the pipeline's read + filter + rename + partitioned Parquet write in one COPY.
// Prints {"ms", "maxRssMb", "rows"} as one JSON line.
import { DuckDBInstance } from '@duckdb/node-api';
import { toSnakeCase } from '../main/blocks/snake-case.ts';
import { YELLOW_COLUMNS } from './yellow-columns.ts';

const [csvPath, outDir, threads] = process.argv.slice(2);
if (!csvPath || !outDir) throw new Error('usage: yellow-duckdb-alone <csv.gz> <out-dir> [threads]');
const started = performance.now();
const instance = await DuckDBInstance.create(':memory:', threads ? { threads } : {});
const conn = await instance.connect();
const types = Object.entries(YELLOW_COLUMNS)
  .map(([name, type]) => `'${name}': '${type}'`)
  .join(', ');
const select = Object.keys(YELLOW_COLUMNS)
  .map((name) => `"${name}" AS "${toSnakeCase(name)}"`)
  .join(', ');
await conn.run(`COPY (
  SELECT ${select}, CAST(tpep_pickup_datetime AS DATE) AS tpep_pickup_date
  FROM read_csv('${csvPath}', header = true, timestampformat = '%Y-%m-%d %H:%M:%S', types = {${types}})
  WHERE passenger_count > 0
) TO '${outDir}' (FORMAT parquet, PARTITION_BY (tpep_pickup_date), OVERWRITE_OR_IGNORE)`);
const counted = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet('${outDir}/**/*.parquet')`);
const rows = Number(counted.getRowObjects()[0]?.n);
conn.closeSync();
instance.closeSync();
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, maxRssMb: process.resourceUsage().maxRSS / 1024, rows })}\n`);
