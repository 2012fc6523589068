// Contender child: runs examples/nyc-taxi's yellow_taxi_etl through the engine, in-process as the CLI does.
// Prints {"ms", "maxRssMb", "rows", "status"} as one JSON line.
import { openProject } from '../main/runtime/open-project.ts';

const [projectDir, sourceUrl] = process.argv.slice(2);
if (!projectDir || !sourceUrl) throw new Error('usage: yellow-pipewright <project-dir> <source-url>');
const started = performance.now();
const cpuAtStart = process.cpuUsage(); // module loading (tsx compiling the engine) is not timed either
const open = await openProject(projectDir);
const pipeline = await open.loadPipeline('yellow_taxi_etl');
const result = await open.run({
  pipeline,
  scope: { kind: 'pipeline' },
  trigger: { kind: 'cli', by: 'bench' },
  variables: { source_url: sourceUrl },
});
await open.close();
const rows = result.blocks.find((b) => b.id === 'clean_yellow_taxi')?.rows;
process.stdout.write(
  `${JSON.stringify({ ms: performance.now() - started, cpuMs: cpuMs(), maxRssMb: process.resourceUsage().maxRSS / 1024, rows, status: result.status, blocks: result.blocks })}\n`,
);

/** CPU time of this process since `started` (DuckDB's threads included): steadier than wall time when other work shares the cores. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage(cpuAtStart);
  return (user + system) / 1000;
}
