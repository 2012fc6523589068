// Contender child (a) of the Postgres section: runs yellow_taxi_etl's path to Postgres (the export block with its
// upstream: load, clean, COPY), in-process as the CLI does. `--whole` runs the whole pipeline instead (the Parquet
// export too, competing for the same cores). Prints {"ms", "cpuMs", "maxRssMb", "rows", "status", "blocks"} as one JSON line
// (cpuMs: this process, DuckDB threads included; not the Postgres server).
import { openProject } from '../main/runtime/open-project.ts';

const [projectDir, sourceUrl, whole] = process.argv.slice(2);
if (!projectDir || !sourceUrl) throw new Error('usage: postgres-pipewright <project-dir> <source-url> [--whole]');
const started = performance.now();
const open = await openProject(projectDir);
const pipeline = await open.loadPipeline('yellow_taxi_etl');
const scope =
  whole === '--whole' ? { kind: 'pipeline' as const } : { kind: 'with-upstream' as const, block: 'export_yellow_taxi_postgres' };
const result = await open.run({ pipeline, scope, trigger: { kind: 'cli', by: 'bench' }, variables: { source_url: sourceUrl } });
await open.close();
const rows = result.blocks.find((b) => b.id === 'clean_yellow_taxi')?.rows;
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, rows, status: result.status, blocks: result.blocks })}\n`,
);
