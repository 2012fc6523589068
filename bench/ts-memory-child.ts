// One TypeScript-block memory contender in its own process (its peak RSS is its own): the yellow CSV.gz loaded at
// memory_limit 300MB, then (mode `batches`) an async-generator identity block, (mode `table`) a plain function given
// the whole table, (mode `ctas`) a SQL block `SELECT * FROM trips` (DuckDB's own CREATE TABLE AS, the baseline), or
// (mode `load`) nothing more. Prints one JSON line: status, time, rows, peak RSS, and the last block's own time.
import { linkSync } from 'node:fs';
import path from 'node:path';
import { createTempProject } from '../test/helpers/temp-project.ts';
import { openProject } from '../main/runtime/open-project.ts';

const [csv, mode] = process.argv.slice(2);
if (!csv || !['batches', 'table', 'ctas', 'load'].includes(mode ?? ''))
  throw new Error('usage: ts-memory-child.ts <yellow.csv.gz> batches|table|ctas|load');
const CODE: Record<string, string> = {
  batches: `import type { RecordBatch } from 'apache-arrow';
export default async function* (inputs: Record<string, AsyncIterable<RecordBatch>>) { for await (const b of inputs.trips) yield b; }\n`,
  table: `export default function (inputs: Record<string, unknown>) { return inputs.trips; }\n`,
};
const temp = createTempProject({ engine: { concurrency: 4, threads: 2, memory_limit: '300MB' } });
linkSync(csv, path.join(temp.dir, 'yellow.csv.gz'));
const columns = { VendorID: 'BIGINT', tpep_pickup_datetime: 'TIMESTAMP', tpep_dropoff_datetime: 'TIMESTAMP', passenger_count: 'BIGINT' };
temp.writePipeline('p', {
  blocks: [
    {
      id: 'trips',
      type: 'source',
      kind: 'local_file',
      config: { path: 'yellow.csv.gz', format: 'csv', timestamp_format: '%Y-%m-%d %H:%M:%S', columns },
    },
    ...(mode === 'load'
      ? []
      : mode === 'ctas'
        ? [{ id: 'copy', type: 'transform', kind: 'sql', file: 'blocks/copy.sql', upstream: ['trips'] }]
        : [{ id: 'ts', type: 'transform', kind: 'typescript', file: 'blocks/ts.ts', upstream: ['trips'] }]),
  ],
});
if (mode === 'ctas') temp.writeFile('blocks/copy.sql', 'SELECT * FROM trips\n');
else if (mode !== 'load') temp.writeFile('blocks/ts.ts', CODE[mode as string] as string);
const open = await openProject(temp.dir);
try {
  const started = performance.now();
  // The last block's own CPU (every thread's: DuckDB's and the worker's too), sampled as it starts and ends.
  const lastId = mode === 'load' ? 'trips' : mode === 'ctas' ? 'copy' : 'ts';
  const cpuNow = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  let blockCpuMs = 0;
  const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'cli' } }, (e) => {
    if (e.type === 'block.started' && e.blockId === lastId) blockCpuMs = -cpuNow();
    if ((e.type === 'block.succeeded' || e.type === 'block.failed') && e.blockId === lastId) blockCpuMs += cpuNow();
  });
  const last = result.blocks.at(-1);
  console.log(
    JSON.stringify({
      mode,
      status: result.status,
      ms: performance.now() - started,
      rows: last?.rows,
      blockMs: last?.durationMs,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      // CPU is steadier than wall time on a shared machine.
      blockCpuMs,
    }),
  );
} finally {
  await open.close();
  temp.cleanup();
}
