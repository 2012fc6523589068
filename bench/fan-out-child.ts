// One fan-out size in its own process (so its peak RSS is its own): a dynamic SQL source of `n` items, one small SQL
// child each (with an output), reduced into one table. Prints one JSON line: time, per-child time, peak RSS.
import { createTempProject } from '../test/helpers/temp-project.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { writeSqlFanOut } from '../test/helpers/sql-fan-out.ts';

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 1) throw new Error(`usage: fan-out-child.ts <children>, not ${process.argv[2]}`);
const temp = createTempProject({ engine: { concurrency: 4 } });
writeSqlFanOut(temp, n, 'select {{ item.i }} as i, {{ item.i }} * 2 as doubled');
const open = await openProject(temp.dir);
try {
  const started = performance.now();
  let childrenStarted: number | undefined;
  const result = await open.run(
    { pipeline: await open.loadPipeline('fan'), scope: { kind: 'pipeline' }, trigger: { kind: 'cli' } },
    (event) => {
      if (event.type === 'block.added' && childrenStarted === undefined) childrenStarted = performance.now();
    },
  );
  const ms = performance.now() - started;
  const childrenMs = ms - ((childrenStarted ?? started) - started);
  // From the run's result, not the history: reading all 100,000 children's rows back is the history's cost, not the run's.
  const rows = result.blocks.find((b) => b.id === 'each')?.rows;
  const cpu = process.cpuUsage();
  console.log(
    JSON.stringify({
      n,
      status: result.status,
      ms,
      perChildMs: childrenMs / n,
      rows,
      cpuMs: (cpu.user + cpu.system) / 1000,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
} finally {
  await open.close();
  temp.cleanup();
}
