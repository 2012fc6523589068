// `npm run bench -- warehouse` (issue #15, part 8): bytes that cross this process's boundary while
// yellow_taxi_warehouse runs against the local emulators and embedded Postgres, split into the initial load and what
// follows it (re-running the pushed-down models, a preview window and a profile); and the Postgres model pushed down
// vs. the same SQL pulled into DuckDB and written back. Bytes are counted on the sockets this process opens as a
// client (pg, the Google clients); the emulators' own server-side sockets are not counted twice.
import net from 'node:net';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openProject } from '../main/runtime/open-project.ts';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import type { RunScope } from '../main/model/run-events.ts';

const sockets = new Set<net.Socket>();
let closedBytes = 0;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  sockets.add(this);
  this.once('close', () => {
    closedBytes += this.bytesRead + this.bytesWritten;
    sockets.delete(this);
  });
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof connect;

function bytesSoFar(): number {
  let open = 0;
  for (const socket of sockets) open += socket.bytesRead + socket.bytesWritten;
  return closedBytes + open;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

export async function runWarehouseSection(opts: { work: string; exampleDir: string; url: string; zonesUrl: string }): Promise<void> {
  const project = path.join(opts.work, 'nyc-taxi-warehouse');
  rmSync(project, { recursive: true, force: true });
  cpSync(opts.exampleDir, project, { recursive: true });
  const open = await openProject(project, { kinds: createDefaultRegistry() });
  const handlers = createApiHandlers(open, () => undefined);
  const run = async (scope: RunScope) => {
    const result = await open.run(
      {
        pipeline: await open.loadPipeline('yellow_taxi_warehouse'),
        scope,
        trigger: { kind: 'test' },
        variables: { source_url: opts.url, zones_url: opts.zonesUrl },
      },
      () => undefined,
    );
    if (result.status !== 'succeeded')
      throw new Error(`yellow_taxi_warehouse ${result.status}: ${JSON.stringify(result.blocks.filter((b) => b.error))}`);
    return result;
  };
  try {
    console.log('\nyellow_taxi_warehouse: bytes across the process boundary (client sockets)');
    const start = bytesSoFar();
    const first = await run({ kind: 'pipeline' });
    const afterLoad = bytesSoFar();
    console.log(
      `  initial run (download + load into BigQuery and Postgres + models): ${mb(afterLoad - start)}; fact_trips ${first.blocks.find((b) => b.id === 'fact_trips')?.rows} rows`,
    );
    await run({ kind: 'blocks', blocks: ['fact_trips', 'daily_zone_revenue', 'pg_daily_revenue'] });
    for (const blockId of ['fact_trips', 'daily_zone_revenue', 'pg_daily_revenue']) {
      const preview = await dispatch(handlers, 'outputs.preview', {
        pipelineId: 'yellow_taxi_warehouse',
        blockId,
        window: { offset: 0, limit: 200, orderBy: [] },
      });
      if (!preview.ok) throw new Error(preview.error.message);
      const profile = await dispatch(handlers, 'outputs.profile', { pipelineId: 'yellow_taxi_warehouse', blockId });
      if (!profile.ok) throw new Error(profile.error.message);
    }
    const afterModels = bytesSoFar();
    console.log(
      `  beyond the load: re-run of the 3 pushed-down models + a 200-row preview and a profile of each: ${mb(afterModels - afterLoad)} (goal < 1 MB)`,
    );

    // The Postgres model pulled into DuckDB and written back, as a pipeline without push-down would do it.
    const pulled = path.join(project, 'pipelines', 'pg_pulled');
    cpSync(path.join(project, 'pipelines', 'yellow_taxi_warehouse'), pulled, { recursive: true });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(pulled, 'pipeline.yaml'), PULLED_PIPELINE);
    writeFileSync(
      path.join(project, 'blocks', 'pulled_daily_revenue.sql'),
      'select tpep_pickup_date as pickup_date, count(*) as trips, round(sum(total_amount), 2) as revenue from yellow_cab_data group by tpep_pickup_date\n',
    );
    const before = bytesSoFar();
    const pulledRun = await open.run(
      { pipeline: await open.loadPipeline('pg_pulled'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } },
      () => undefined,
    );
    if (pulledRun.status !== 'succeeded')
      throw new Error(`pg_pulled ${pulledRun.status}: ${JSON.stringify(pulledRun.blocks.filter((b) => b.error))}`);
    const pulledBytes = bytesSoFar() - before;
    const beforePushed = bytesSoFar();
    await run({ kind: 'block', block: 'pg_daily_revenue' });
    const pushedBytes = bytesSoFar() - beforePushed;
    console.log(
      `  Postgres model pushed down: ${mb(pushedBytes)}; pulled into DuckDB and written back: ${mb(pulledBytes)}; ratio ${(pulledBytes / Math.max(1, pushedBytes)).toFixed(0)}×`,
    );
  } finally {
    await open.close();
  }
}

const PULLED_PIPELINE = `name: Postgres model pulled into DuckDB
blocks:
  - id: yellow_cab_data
    type: source
    kind: postgres
    config:
      connection: local_pg
      query: select * from ny_taxi.yellow_cab_data
  - id: pulled_daily_revenue
    type: transform
    kind: sql
    file: blocks/pulled_daily_revenue.sql
    upstream: [yellow_cab_data]
  - id: write_back
    type: export
    kind: postgres
    upstream: [pulled_daily_revenue]
    config:
      connection: local_pg
      schema: ny_taxi
      table: pulled_daily_revenue
`;
