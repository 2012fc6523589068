import { parseArgs } from 'node:util';
import { UserError } from '../model/errors.ts';
import { openProject, type OpenProject } from '../runtime/open-project.ts';
import { pruneProject } from '../retention/prune-project.ts';
import { formatBytes } from '../retention/prune-after-run.ts';
import { resolveProjectDir } from './project-dir.ts';
import { UsageError } from './usage.ts';

/**
 * `pipewright prune [--dry-run]`: applies `retention:` of pipewright.yaml now. When another process holds the
 * workspace (the app, `pipewright serve`), prunes the history only: that process prunes outputs after each run.
 */
export async function pruneCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { project: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length > 0) throw new UsageError('prune takes no arguments');
  const dir = await resolveProjectDir(values.project);
  const { open, note } = await openForPruning(dir);
  try {
    if (!open.project.settings.retention) {
      process.stderr.write('pipewright.yaml sets no retention: nothing to prune (see README, "Retention")\n');
    }
    const isDryRun = values['dry-run'];
    const report = await pruneProject(
      { project: open.project, store: open.store, ...(note ? {} : { workspace: open.workspace }) },
      { isDryRun },
    );
    if (values.json) {
      const outputs = report.outputs.map((o) => ({ table: o.physical, bytes: o.bytes, ...(o.latestOf ?? {}) }));
      process.stdout.write(
        `${JSON.stringify({ isDryRun, runs: report.runs, logs: report.logs, outputs, outputBytes: report.outputBytes })}\n`,
      );
      return 0;
    }
    const verb = isDryRun ? 'would delete' : 'deleted';
    process.stdout.write(
      `${verb} ${report.runs} runs, ${report.logs} log lines, ${report.outputs.length} stored outputs (${formatBytes(report.outputBytes)})\n`,
    );
    for (const output of report.outputs) process.stdout.write(`  ${output.physical}  ${formatBytes(output.bytes)}\n`);
    if (note) process.stderr.write(`${note}\n`);
    return 0;
  } finally {
    await open.close();
  }
}

async function openForPruning(dir: string): Promise<{ open: OpenProject; note?: string }> {
  try {
    return { open: await openProject(dir) };
  } catch (error) {
    if (!(error instanceof UserError) || !/in use by another Pipewright process/.test(error.message)) throw error;
    const note = 'outputs were not pruned: another Pipewright process holds the workspace (it prunes them after each of its runs)';
    return { open: await openProject(dir, { readOnlyHistory: true }), note };
  }
}
