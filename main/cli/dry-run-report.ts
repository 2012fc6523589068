import type { DryRunReport } from '../dry-run/plan-exports.ts';
import type { ExportPlan } from '../model/design-types.ts';

/** Partitions listed one per line up to this many; beyond, the first and last few and a count. */
const SHOWN_PARTITIONS = 40;

/** The dry run as text: one paragraph per export block. */
export function formatDryRun(report: DryRunReport): string {
  if (report.exports.length === 0) return `${report.pipelineId}: no export blocks\n`;
  const parts = report.exports.map((e) => ('error' in e ? `${e.blockId} (${e.kind})\n  ✗ ${e.error.message}` : formatPlan(e)));
  return `${parts.join('\n\n')}\n\ndry run: nothing was written\n`;
}

function formatPlan(plan: ExportPlan): string {
  const lines = [`${plan.blockId} (${plan.kind})`, `  destination: ${plan.destination}`];
  if (plan.mode) lines.push(`  mode: ${plan.mode}`);
  if (plan.rows !== undefined) lines.push(`  rows: ${plan.rows.toLocaleString('en-US')}`);
  if (plan.partitions) {
    lines.push(`  partitions: ${plan.partitions.length}`);
    const shown =
      plan.partitions.length > SHOWN_PARTITIONS
        ? [...plan.partitions.slice(0, 5), undefined, ...plan.partitions.slice(-5)]
        : plan.partitions;
    for (const p of shown)
      lines.push(p ? `    ${p.name}  ${p.rows.toLocaleString('en-US')} rows` : `    … ${plan.partitions.length - 10} more`);
  }
  if (plan.ddl.length) lines.push('  DDL:', ...plan.ddl.map((sql) => `    ${sql};`));
  if (plan.objects) {
    lines.push(`  would write ${plan.objects.write.length}: ${abbreviate(plan.objects.write)}`);
    if (plan.objects.remove.length) lines.push(`  would remove ${plan.objects.remove.length}: ${abbreviate(plan.objects.remove)}`);
  }
  if (plan.job) lines.push(`  BigQuery ${'query' in plan.job ? 'query' : 'load'} job: ${JSON.stringify(plan.job)}`);
  if (plan.schemaDiff) {
    const d = plan.schemaDiff;
    const changes = [
      ...d.added.map((c) => `+ ${c.name} ${c.type}`),
      ...d.missing.map((c) => `- ${c.name} ${c.type}`),
      ...d.retyped.map((c) => `~ ${c.name} ${c.from} → ${c.to}`),
    ];
    lines.push(
      `  target: ${d.targetExists ? 'exists' : 'does not exist'}${changes.length ? `; ${changes.join(', ')}` : d.targetExists ? '; same columns' : ''}`,
    );
    lines.push(`  policy: ${d.policy}`);
  }
  for (const note of plan.notes) lines.push(`  ! ${note}`);
  return lines.join('\n');
}

function abbreviate(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')}, … ${names.at(-1)}`;
}
