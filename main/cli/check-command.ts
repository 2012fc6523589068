import { parseArgs } from 'node:util';
import { createDefaultRegistry } from '../blocks/index.ts';
import { loadProject } from '../project/load-project.ts';
import { loadPipeline } from '../project/load-pipeline.ts';
import { checkPipeline } from '../preflight/check-pipeline.ts';
import type { PreflightReport } from '../preflight/check-types.ts';
import { openProject } from '../runtime/open-project.ts';
import { parseConnOverrides } from './connections-command.ts';
import { resolveProjectDir } from './project-dir.ts';
import { parseVars, UsageError } from './usage.ts';

const MARKS = { ok: '✓', warn: '!', fail: '✗', skip: '-' } as const;

/**
 * `pipewright check <pipeline> [--var name=value]… [--conn NAME.FIELD=VALUE]… [--project DIR] [--json]`: checks every
 * Postgres, GCS and BigQuery block without writing anything. Exit 0 when nothing failed, 1 otherwise.
 */
export async function checkCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      json: { type: 'boolean', default: false },
      var: { type: 'string', multiple: true },
      conn: { type: 'string', multiple: true },
    },
  });
  const pipelineId = positionals[0];
  if (!pipelineId || positionals.length > 1)
    throw new UsageError('usage: pipewright check <pipeline> [--var name=value]… [--conn NAME.FIELD=VALUE]… [--project <dir>] [--json]');
  const report = await runCheck(
    await resolveProjectDir(values.project),
    pipelineId,
    parseVars(values.var ?? []),
    parseConnOverrides(values.conn ?? []),
  );
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return report.isOk ? 0 : 1;
}

/** With the workspace when this process may open it (append checks read upstream outputs); from the files otherwise. */
async function runCheck(
  dir: string,
  pipelineId: string,
  variables: Record<string, unknown>,
  overrides: ReturnType<typeof parseConnOverrides>,
): Promise<PreflightReport> {
  const opts = { variables, overrides };
  let open;
  try {
    open = await openProject(dir);
  } catch (error) {
    void error; // the app or serve holds the workspace: check from the files, without upstream outputs
    const project = await loadProject(dir);
    const kinds = createDefaultRegistry();
    return checkPipeline({ project, kinds, loadPipeline: (id) => loadPipeline(project, id, kinds) }, pipelineId, opts);
  }
  try {
    return await checkPipeline(open, pipelineId, opts);
  } finally {
    await open.close();
  }
}

/** The checklist as text: one block per paragraph, one mark per line. */
export function formatReport(report: PreflightReport): string {
  if (report.blocks.length === 0) return `${report.pipelineId}: no Postgres, GCS, BigQuery or Python blocks to check\n`;
  const blocks = report.blocks.map(
    (b) => `${b.blockId} (${b.kind})\n${b.items.map((i) => `  ${MARKS[i.status]} ${i.name}: ${i.detail}`).join('\n')}`,
  );
  const failed = report.blocks.reduce((n, b) => n + b.items.filter((i) => i.status === 'fail').length, 0);
  return `${blocks.join('\n\n')}\n\n${failed === 0 ? `${report.pipelineId}: ready` : `${report.pipelineId}: ${failed} problem${failed === 1 ? '' : 's'} to fix before running`}\n`;
}
