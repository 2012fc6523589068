// Contender child for the GCS section of `npm run bench`: runs yellow_taxi_etl (load, clean, the partitioned GCS
// export, the BigQuery load) once, then three times re-runs the GCS export alone (warm) and times DuckDB writing the
// same partitioned Parquet to a local folder from the same workspace (the floor); then re-runs the BigQuery load.
// Prints {"exportMs", "coldExportMs", "floorMs", "bigquery", "rows", "status"} as one JSON line.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { openProject } from '../main/runtime/open-project.ts';
import { quoteLiteral } from '../main/data/sql-names.ts';

const GCS_BLOCK = 'export_yellow_taxi_gcs_partitioned';
const BIGQUERY_BLOCK = 'load_yellow_taxi_bigquery';

const [projectDir] = process.argv.slice(2);
if (!projectDir) throw new Error('usage: gcs-export-child <project-dir>');
const open = await openProject(projectDir);
const pipeline = await open.loadPipeline('yellow_taxi_etl');
const first = await open.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'cli', by: 'bench' } });
const exportMs: number[] = [];
const floorMs: number[] = [];
// Interleaved, so a burst of load on a shared machine hits both contenders alike.
for (let i = 0; i < 3; i++) {
  const again = await open.run({ pipeline, scope: { kind: 'block', block: GCS_BLOCK }, trigger: { kind: 'cli', by: 'bench' } });
  if (again.status !== 'succeeded') throw new Error(`the GCS export failed: ${JSON.stringify(again.blocks)}`);
  exportMs.push(again.blocks.find((b) => b.id === GCS_BLOCK)?.durationMs ?? NaN);
  floorMs.push(await timeLocalWrite(path.join(projectDir, 'floor')));
}
// The load job again, from the objects the last export published (the first run's load was cold).
const load = await open.run({ pipeline, scope: { kind: 'block', block: BIGQUERY_BLOCK }, trigger: { kind: 'cli', by: 'bench' } });
const loaded = load.blocks.find((b) => b.id === BIGQUERY_BLOCK);
const bigquery = { ms: loaded?.durationMs ?? NaN, rows: loaded?.rows ?? NaN, status: load.status };
await open.close();
const duration = (id: string) => first.blocks.find((b) => b.id === id)?.durationMs ?? null;
const rows = first.blocks.find((b) => b.id === 'clean_yellow_taxi')?.rows;
process.stdout.write(`${JSON.stringify({ exportMs, coldExportMs: duration(GCS_BLOCK), floorMs, bigquery, rows, status: first.status })}\n`);

/** DuckDB alone: the same upstream output written as snappy Parquet partitioned by pickup date. */
async function timeLocalWrite(dir: string): Promise<number> {
  const session = await open.workspace.openBlockSession({
    pipelineId: 'yellow_taxi_etl',
    blockId: 'bench_floor',
    runId: `bench_floor_${Date.now()}`,
    attempt: 1,
    runOutputs: new Map(),
    readable: ['clean_yellow_taxi'],
  });
  try {
    rmSync(dir, { recursive: true, force: true });
    const started = performance.now();
    await session.run(
      `COPY (SELECT * FROM ${session.relation('clean_yellow_taxi')}) TO ${quoteLiteral(dir)} (FORMAT parquet, COMPRESSION 'snappy', PARTITION_BY (tpep_pickup_date))`,
    );
    return performance.now() - started;
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
