import { parseArgs } from 'node:util';
import { formatError } from '../model/errors.ts';
import { createDefaultRegistry } from '../blocks/index.ts';
import { loadProject } from '../project/load-project.ts';
import { loadPipeline } from '../project/load-pipeline.ts';
import { listTriggerDescriptions, type TriggerDescription } from '../orchestration/triggers.ts';
import { resolveProjectDir } from './project-dir.ts';
import { UsageError } from './usage.ts';

/**
 * `pipewright triggers list [--project DIR] [--json]`: every trigger of the project with its next five fire times in
 * UTC and local time. Reads files only (no workspace), so it works while the app or `serve` holds the project.
 * Exits 2 when a pipeline cannot be read (its error is printed), 0 otherwise.
 */
export async function triggersCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { project: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (positionals[0] !== 'list' || positionals.length > 1)
    throw new UsageError('usage: pipewright triggers list [--project <dir>] [--json]');
  const project = await loadProject(await resolveProjectDir(values.project));
  const kinds = createDefaultRegistry();
  const { triggers, problems } = await listTriggerDescriptions({ project, loadPipeline: (id) => loadPipeline(project, id, kinds) });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ triggers, problems })}\n`);
  } else {
    if (triggers.length === 0)
      process.stdout.write('no triggers: add a `triggers:` list to a pipeline.yaml (see the README, "Schedules and triggers")\n');
    for (const trigger of triggers) process.stdout.write(describe(trigger));
  }
  for (const problem of problems) process.stderr.write(`pipewright: pipeline ${problem.pipelineId}: ${formatError(problem.error)}\n`);
  return problems.length > 0 ? 2 : 0;
}

function describe(t: TriggerDescription): string {
  const head = `${t.pipelineId}/${t.name}  ${t.type}${t.enabled ? '' : '  (disabled)'}`;
  if (t.type === 'api') return `${head}\n  POST /api/pipelines/${t.pipelineId}/runs under pipewright serve\n\n`;
  const settings = `cron "${t.cron}" in ${t.timezone}, catch_up: ${t.catchUp}, skip_if_running: ${t.skipIfRunning}`;
  const next = t.next.map((f) => `    ${f.utc.padEnd(22)}${f.local}\n`).join('');
  const last = t.lastFire
    ? `  last: ${t.lastFire.kind.replace('trigger.', '')} for ${t.lastFire.scheduledAt}${t.lastFire.runId ? `, run ${t.lastFire.runId}` : ''}${t.lastFire.reason ? ` (${t.lastFire.reason})` : ''}\n`
    : '';
  return `${head}  ${settings}\n${last}${next ? `  next fires (UTC, local):\n${next}` : ''}\n`;
}
