// `node --import tsx bench/scheduler-overhead.ts [runs]`: the scheduler's own cost per scheduled run (fire decision →
// run.started), on a scratch project with a one-block pipeline and a schedule trigger, with a jumping clock.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openProject } from '../main/runtime/open-project.ts';
import { measureSchedulerOverhead } from '../main/orchestration/scheduler-overhead.ts';

const runs = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-scheduler-'));
try {
  mkdirSync(path.join(dir, 'pipelines', 'tiny'), { recursive: true });
  writeFileSync(path.join(dir, 'pipewright.yaml'), 'name: scheduler-bench\nengine:\n  threads: 2\n');
  writeFileSync(path.join(dir, 'data.csv'), 'a,b\n1,2\n3,4\n');
  writeFileSync(
    path.join(dir, 'pipelines', 'tiny', 'pipeline.yaml'),
    [
      'triggers:',
      '  - { name: hourly, type: schedule, cron: "0 * * * *" }',
      'blocks:',
      '  - { id: src, type: source, kind: local_file, config: { path: data.csv } }',
      '',
    ].join('\n'),
  );
  const open = await openProject(dir);
  try {
    const result = await measureSchedulerOverhead(open, runs);
    console.log(
      `scheduler overhead per run (fire → run.started), ${result.runs} runs: median ${result.medianMs.toFixed(2)} ms, max ${result.maxMs.toFixed(2)} ms`,
    );
    console.log(JSON.stringify({ runs: result.runs, medianMs: result.medianMs, maxMs: result.maxMs }));
  } finally {
    await open.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
