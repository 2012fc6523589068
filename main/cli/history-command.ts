import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject } from '../project/load-project.ts';
import { RunStore } from '../history/run-store.ts';
import { UserError, formatError } from '../model/errors.ts';
import { checkLine } from '../engine/block-checks.ts';
import { resolveProjectDir } from './project-dir.ts';
import { UsageError } from './usage.ts';
import { MAX_CHILD_PAGE, type ChildCounts } from '../history/child-queries.ts';
import type { BlockRunStatus } from '../history/run-queries.ts';

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
      children: { type: 'string' },
      failed: { type: 'boolean', default: false },
      from: { type: 'string' },
      logs: { type: 'string' },
    },
  });
  if (positionals.length > 1) throw new UsageError('history takes at most one run id');
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a positive whole number');
  const project = await loadProject(await resolveProjectDir(values.project));
  const store = RunStore.open(path.join(project.stateDir, 'history.sqlite'));
  try {
    const runId = positionals[0];
    if (values.children !== undefined) {
      if (!runId) throw new UsageError('--children needs a run id: pipewright history <run-id> --children <block>');
      const from = values.from === undefined ? 0 : Number(values.from);
      if (!Number.isInteger(from) || from < 0) throw new UsageError('--from takes a child index (a whole number, 0 or more)');
      return showChildren(store, runId, values.children, { from, limit, isFailedOnly: values.failed, asJson: values.json });
    }
    if (values.logs !== undefined) {
      if (!runId) throw new UsageError('--logs needs a run id: pipewright history <run-id> --logs <block>');
      return showLogs(store, runId, values.logs, values.json);
    }
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

/** The statuses `--failed` (and the History screen's "Failed only") show: children that ended without succeeding. */
const FAILED: BlockRunStatus[] = ['failed', 'upstream_failed', 'cancelled', 'interrupted'];

/** One page of a fanned-out block's children, in index order; the last line says how to get the next page. */
function showChildren(
  store: RunStore,
  runId: string,
  blockId: string,
  opts: { from: number; limit: number; isFailedOnly: boolean; asJson: boolean },
): number {
  const run = store.getRunOverview(runId);
  if (!run) throw new UserError(`no run ${runId} in this project's history`);
  if (!run.blocks.some((b) => b.blockId === blockId)) throw new UserError(`run ${runId} has no block ${blockId}`);
  const page = store.listChildren(runId, blockId, {
    fromIndex: opts.from,
    limit: Math.min(opts.limit, MAX_CHILD_PAGE),
    ...(opts.isFailedOnly ? { statuses: FAILED } : {}),
  });
  if (opts.asJson) {
    process.stdout.write(`${JSON.stringify(page)}\n`);
    return 0;
  }
  const which = opts.isFailedOnly ? 'failed children' : 'children';
  process.stdout.write(`${page.total} ${which} of ${blockId} in run ${runId}\n`);
  for (const child of page.children) {
    const rows = child.rowsOut === null ? '' : `${child.rowsOut} rows`;
    process.stdout.write(`  ${child.blockId.padEnd(28)} ${child.status.padEnd(16)} attempts ${child.attempts}  ${rows}\n`);
    if (child.error) process.stdout.write(`    ${formatError(child.error)}\n`);
  }
  const last = page.children.at(-1);
  if (page.hasAfter && last)
    process.stdout.write(
      `next: pipewright history ${runId} --children ${blockId}${opts.isFailedOnly ? ' --failed' : ''} --from ${last.index + 1}\n`,
    );
  return 0;
}

function showRun(store: RunStore, runId: string, asJson: boolean): number {
  // The overview: a fan-out's children are counted on their parent (paged with --children), not listed.
  const run = store.getRunOverview(runId);
  if (!run) throw new UserError(`no run ${runId} in this project's history`);
  // The run's and its top-level blocks' lines: a fan-out's children may have written hundreds of thousands (--logs).
  const logs = store.getLogs(runId, { limit: LOG_LINES, topLevel: true });
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ run, logs })}\n`);
    return 0;
  }
  process.stdout.write(`run ${run.id} of ${run.pipelineId}: ${run.status}\n`);
  for (const block of run.blocks) {
    const rows = block.rowsOut === null || block.rowsOut === undefined ? '' : `${block.rowsOut} rows`;
    process.stdout.write(`  ${block.blockId.padEnd(28)} ${block.status.padEnd(16)} attempts ${block.attempts}  ${rows}\n`);
    if (block.error) process.stdout.write(`    ${formatError(block.error)}\n`);
    if (block.children) {
      process.stdout.write(`    ${describeCounts(block.children)}: pipewright history ${runId} --children ${block.blockId}\n`);
      process.stdout.write(`    their log lines: pipewright history ${runId} --logs ${block.blockId}\n`);
    }
    for (const result of block.tests ?? []) {
      process.stdout.write(
        `    ${checkLine({ ...result, message: result.passed ? result.message : result.message?.replace(/, e\.g\. .*$/s, '') })}\n`,
      );
      for (const row of result.sample ?? []) process.stdout.write(`      ${JSON.stringify(row)}\n`);
    }
  }
  writeLogs(logs);
  return 0;
}

/** Lines printed at most (the history keeps them all: --json and the app page through more). */
const LOG_LINES = 10_000;

/** `--logs <block>`: a block's lines, with its fan-out children's for a fanned-out block; `each[7]` is one child's. */
function showLogs(store: RunStore, runId: string, blockId: string, asJson: boolean): number {
  if (!store.getRunOverview(runId)) throw new UserError(`no run ${runId} in this project's history`);
  const logs = store.getLogs(runId, { limit: LOG_LINES, ...(blockId.includes('[') ? { blockId } : { withChildrenOf: blockId }) });
  if (asJson) process.stdout.write(`${JSON.stringify({ logs })}\n`);
  else if (logs.length === 0) process.stdout.write(`no log lines of ${blockId} in run ${runId}\n`);
  else writeLogs(logs);
  return 0;
}

function writeLogs(logs: readonly { at: number; blockId: string | null; level: string; message: string }[]): void {
  for (const log of logs) {
    process.stdout.write(`${new Date(log.at).toISOString().slice(11, 19)} ${log.blockId ?? 'run'} ${log.level} ${log.message}\n`);
  }
}

/** The order counts are told in: outcomes first, then what is still under way (as on the run page). */
const STATUS_ORDER: BlockRunStatus[] = ['succeeded', ...FAILED, 'skipped', 'running', 'queued', 'pending'];

/** `100000 children: 98969 succeeded, 1031 failed`. */
function describeCounts(counts: ChildCounts): string {
  const parts = STATUS_ORDER.filter((s) => (counts.byStatus[s] ?? 0) > 0).map((s) => `${counts.byStatus[s]} ${s.replace('_', ' ')}`);
  return `${counts.total} children: ${parts.join(', ')}`;
}
