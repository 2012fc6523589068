// The CLI's start-up, measured as whole processes the way a user or a cron job starts it: `pipewright --help`, and
// `pipewright run` of a one-block `select 42` pipeline (open the project, run, record, exit). Medians of several runs,
// printed against the goals; the same through tsx (PIPEWRIGHT_FROM_SOURCE=1) shows what the bundle saves.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTempProject } from '../test/helpers/temp-project.ts';

const launcher = fileURLToPath(new URL('../main/cli/pipewright.mjs', import.meta.url));
const HELP_GOAL_MS = 150;
const RUN_GOAL_MS = 600;

/** Wall time of one `pipewright …` process, start to exit; rejects when it exits non-zero. */
function timeCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [launcher, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`pipewright ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

async function median(times: number, measure: () => Promise<number>): Promise<{ median: number; min: number }> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) ms.push(await measure());
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)] ?? 0, min: ms[0] ?? 0 };
}

const line = (label: string, m: { median: number; min: number }, goalMs?: number) =>
  `  ${label.padEnd(40)} median ${m.median.toFixed(0).padStart(5)} ms, best ${m.min.toFixed(0).padStart(5)} ms` +
  (goalMs === undefined ? '' : `  (goal ≤ ${goalMs} ms: ${m.median <= goalMs ? 'met' : `${(m.median / goalMs).toFixed(1)}× over`})`);

/** Prints the CLI start figures; `runs` processes per figure (tsx ones: fewer, they are slow). */
export async function runCliStartSection(runs = 7): Promise<void> {
  const temp = createTempProject();
  try {
    temp.writeFile('blocks/answer.sql', 'select 42 as answer\n');
    temp.writePipeline('answer', { blocks: [{ id: 'answer', type: 'source', kind: 'sql', file: 'blocks/answer.sql' }] });
    const first = await timeCli(['--help']); // builds out/cli/ when a source changed since the last build
    const help = await median(runs, () => timeCli(['--help']));
    const run = await median(runs, () => timeCli(['run', 'answer', '--project', temp.dir]));
    const fromSource = { ...process.env, PIPEWRIGHT_FROM_SOURCE: '1' };
    const helpTsx = await median(3, () => timeCli(['--help'], fromSource));
    const runTsx = await median(3, () => timeCli(['run', 'answer', '--project', temp.dir], fromSource));
    console.log(
      `\nCLI start, whole processes (${runs} runs each, Node ${process.version}; first start ${first.toFixed(0)} ms incl. any bundle build)`,
    );
    console.log(line('pipewright --help', help, HELP_GOAL_MS));
    console.log(line('pipewright run (one block, select 42)', run, RUN_GOAL_MS));
    console.log(line('  from source (tsx): --help', helpTsx));
    console.log(line('  from source (tsx): run select 42', runTsx));
  } finally {
    temp.cleanup();
  }
}
