// `npm run bench`, green section: a 3-month green-taxi-shaped backfill (~267,000 rows, the homework's Oct–Dec 2020
// sizes) run as one pipeline run per month, with backfill concurrency 1 and then 3. Reports the speed-up and the
// scheduler's overhead per run (run wall time minus the time its blocks spent running). Nothing is asserted.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openProject } from '../main/runtime/open-project.ts';
import { planBackfill } from '../main/orchestration/backfill-plan.ts';
import { newBackfillId, runBackfill } from '../main/orchestration/run-backfill.ts';
import { startFileServer, type FileServer } from '../test/helpers/http-server.ts';
import { writeGreenTaxiCsv } from '../test/helpers/green-taxi-csv.ts';

/** The homework's monthly row counts (266,855 in all). */
const MONTH_ROWS: Record<number, number> = { 10: 95_120, 11: 88_605, 12: 83_130 };

/** The example's green_taxi_etl, one month per run (taken from interval_start), exports left out: the engine is measured. */
const PIPELINE = `
variables:
  base_url: http://127.0.0.1/green
blocks:
  - id: green_taxi_months
    type: source
    kind: sql
    file: blocks/bench_month.sql
    dynamic: true
  - id: load_green_taxi
    type: source
    kind: http_file
    upstream: [green_taxi_months]
    reduce: true
    config: { url: "{{ item.url }}", format: csv, timestamp_format: "%Y-%m-%d %H:%M:%S", columns: { VendorID: BIGINT, passenger_count: BIGINT, trip_distance: DOUBLE, ehail_fee: DOUBLE, trip_type: DOUBLE } }
  - id: transform_green_taxi
    type: transform
    kind: sql
    file: blocks/transform_green_taxi.sql
    upstream: [load_green_taxi]
    config: { rename_columns: snake_case }
`;
const MONTH_SQL = `select month(DATE '{{ interval_start }}') as month,
  printf('%s/green_tripdata_%d-%02d.csv.gz', '{{ base_url }}', year(DATE '{{ interval_start }}'), month(DATE '{{ interval_start }}')) as url`;

interface Measured {
  concurrency: number;
  ms: number;
  runs: number;
  overheadMs: number[];
  rows: number;
  failed: number;
}

/** Generates the months (once), then runs the backfill warm-up, at concurrency 1 and at 3; prints the figures. */
export async function runGreenBackfillSection(args: { work: string; server?: FileServer }): Promise<void> {
  const dir = path.join(args.work, 'green');
  mkdirSync(dir, { recursive: true });
  const server = args.server ?? (await startFileServer());
  try {
    for (const [month, rows] of Object.entries(MONTH_ROWS)) {
      const file = path.join(dir, `green_tripdata_2020-${month}.csv.gz`);
      if (!existsSync(file)) await writeGreenTaxiCsv(file, { year: 2020, month: Number(month), rows });
      server.serve(`/green/green_tripdata_2020-${month}.csv.gz`, { file });
    }
    const project = path.join(dir, 'project');
    rmSync(project, { recursive: true, force: true });
    cpSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'nyc-taxi'), project, { recursive: true });
    mkdirSync(path.join(project, 'pipelines', 'green_backfill'), { recursive: true });
    writeFileSync(path.join(project, 'pipelines', 'green_backfill', 'pipeline.yaml'), PIPELINE);
    writeFileSync(path.join(project, 'blocks', 'bench_month.sql'), MONTH_SQL);
    const baseUrl = `${server.url}/green`;
    await measure(project, 1, baseUrl); // warm-up: fills the download cache, so both measured passes read the same way
    const one = await measure(project, 1, baseUrl);
    const three = await measure(project, 3, baseUrl);
    report([one, three]);
  } finally {
    if (!args.server) await server.close();
  }
}

async function measure(project: string, concurrency: number, baseUrl: string): Promise<Measured> {
  const open = await openProject(project);
  try {
    const pipeline = await open.loadPipeline('green_backfill');
    const intervals = planBackfill('2020-10-01', '2020-12-01', 'month');
    const started = performance.now();
    const result = await runBackfill({
      open,
      pipeline,
      intervals,
      backfillId: newBackfillId(),
      concurrency,
      variables: { base_url: baseUrl },
    });
    const ms = performance.now() - started;
    const overheadMs: number[] = [];
    let rows = 0;
    for (const run of result.runs) {
      const detail = run.runId ? open.store.getRun(run.runId) : undefined;
      // The blocks of this pipeline run one after another, so the run's time not spent in a block is the scheduler's.
      const inBlocks = (detail?.blocks ?? []).filter((b) => !b.blockId.includes('[')).reduce((sum, b) => sum + (b.durationMs ?? 0), 0);
      const children = (detail?.blocks ?? []).filter((b) => b.blockId.includes('[')).reduce((sum, b) => sum + (b.durationMs ?? 0), 0);
      overheadMs.push((detail?.durationMs ?? 0) - inBlocks - children);
      rows += detail?.blocks.find((b) => b.blockId === 'load_green_taxi')?.rowsOut ?? 0;
    }
    return {
      concurrency,
      ms,
      runs: result.runs.length,
      overheadMs,
      rows,
      failed: result.runs.filter((r) => r.status !== 'succeeded').length,
    };
  } finally {
    await open.close();
  }
}

function report([one, three]: Measured[]): void {
  if (!one || !three) return;
  const line = (m: Measured) =>
    `  concurrency ${m.concurrency}: ${(m.ms / 1000).toFixed(2)} s for ${m.runs} runs, ${m.rows.toLocaleString('en-US')} rows loaded` +
    `${m.failed ? `, ${m.failed} FAILED` : ''}; scheduler overhead per run ${m.overheadMs.map((o) => `${o.toFixed(0)} ms`).join(', ')}`;
  const mean = (m: Measured) => m.overheadMs.reduce((a, b) => a + b, 0) / Math.max(1, m.overheadMs.length);
  console.log('\ngreen_taxi backfill, 3 months (one run per month: dynamic month list → load → reduce → transform)');
  console.log(line(one));
  console.log(line(three));
  console.log(`  speed-up 3 vs 1: ${(one.ms / three.ms).toFixed(2)}x`);
  console.log(
    `  mean scheduler overhead per run: ${mean(one).toFixed(0)} ms at 1, ${mean(three).toFixed(0)} ms at 3 (${(((mean(one) * one.runs) / one.ms) * 100).toFixed(1)}% of the backfill at 1)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runGreenBackfillSection({ work: path.join(path.dirname(fileURLToPath(import.meta.url)), '.work') });
}
