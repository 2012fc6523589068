import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject } from '../project/load-project.ts';
import { RunStore } from '../history/run-store.ts';
import { UserError, formatError } from '../model/errors.ts';
import { checkLine } from '../engine/block-checks.ts';
import { resolveProjectDir } from './project-dir.ts';
import { UsageError } from './usage.ts';

/** `pipewright history [run-id]`: lists runs (newest first) or shows one; opens only the run store. */
export async function historyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      pipeline: { type: 'string' },
      limit: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1) throw new UsageError('history takes at most one run id');
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a positive whole number');
  const project = await loadProject(await resolveProjectDir(values.project));
  const store = RunStore.open(path.join(project.stateDir, 'history.sqlite'));
  try {
    const runId = positionals[0];
    if (runId) return showRun(store, runId, values.json);
    const runs = store.listRuns({ ...(values.pipeline ? { pipelineId: values.pipeline } : {}), limit });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ runs })}\n`);
      return 0;
    }
    if (runs.length === 0) {
      process.stdout.write('no runs yet: start one with `pipewright run <pipeline>`\n');
      return 0;
    }
    for (const run of runs) {
      const duration = run.durationMs === null || run.durationMs === undefined ? '' : `${(run.durationMs / 1000).toFixed(1)} s`;
      process.stdout.write(
        `${run.id}  ${run.pipelineId.padEnd(20)} ${run.status.padEnd(11)} ${new Date(run.startedAt).toISOString().replace('T', ' ').slice(0, 19)}  ${duration.padStart(8)}  ${run.trigger.kind}\n`,
      );
    }
    return 0;
  } finally {
    store.close();
  }
}

function showRun(store: RunStore, runId: string, asJson: boolean): number {
  const run = store.getRun(runId);
  if (!run) throw new UserError(`no run ${runId} in this project's history`);
  const logs = store.getLogs(runId, { limit: 10_000 });
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ run, logs })}\n`);
    return 0;
  }
  process.stdout.write(`run ${run.id} of ${run.pipelineId}: ${run.status}\n`);
  for (const block of run.blocks) {
    const rows = block.rowsOut === null || block.rowsOut === undefined ? '' : `${block.rowsOut} rows`;
    process.stdout.write(`  ${block.blockId.padEnd(28)} ${block.status.padEnd(16)} attempts ${block.attempts}  ${rows}\n`);
    if (block.error) process.stdout.write(`    ${formatError(block.error)}\n`);
    for (const result of block.tests ?? []) {
      process.stdout.write(
        `    ${checkLine({ ...result, message: result.passed ? result.message : result.message?.replace(/, e\.g\. .*$/s, '') })}\n`,
      );
      for (const row of result.sample ?? []) process.stdout.write(`      ${JSON.stringify(row)}\n`);
    }
  }
  for (const log of logs) {
    process.stdout.write(`${new Date(log.at).toISOString().slice(11, 19)} ${log.blockId ?? 'run'} ${log.level} ${log.message}\n`);
  }
  return 0;
}
