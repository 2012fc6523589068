import type { ImportLog, ImportOutcome, ReportEntry } from './import-types.ts';

const LABELS: Record<ImportOutcome, string> = {
  native: 'converted natively',
  python: 'kept as Python',
  attention: 'needs attention',
  skipped: 'skipped',
};

/** IMPORT_REPORT.md: counts, the variables to set, then every connection, pipeline and block with its outcome. */
export function renderReport(source: string, log: ImportLog): string {
  const counts = (['native', 'python', 'attention', 'skipped'] as const).map(
    (o) => `${log.entries.filter((e) => e.outcome === o).length} ${LABELS[o]}`,
  );
  const lines = [`# Import of Mage project ${source}`, '', counts.join(' · '), ''];
  if (log.envVars.size > 0) {
    lines.push('## Environment variables to set', '', ...[...log.envVars].map(([name, what]) => `- \`${name}\`: ${what}`), '');
  }
  const project = log.entries.filter((e) => !e.pipeline);
  if (project.length > 0) lines.push('## Project', '', ...table(project), '');
  const pipelines = [...new Set(log.entries.flatMap((e) => (e.pipeline ? [e.pipeline] : [])))];
  for (const p of pipelines) lines.push(`## Pipeline ${p}`, '', ...table(log.entries.filter((e) => e.pipeline === p)), '');
  lines.push(
    "Python blocks, conditionals and sensors run Mage's files unchanged (decorators, `mage_ai` imports, `get_repo_path()`, `FileIO`, a dynamic block's `[items, metadata]`). SQL blocks run in DuckDB over upstream outputs unless the report says otherwise.",
    '',
    'A block converted natively keeps its Mage file in `blocks/mage/` for reference; `.mage-import.json` lists the files this import wrote, so `--force` can remove those a later import no longer writes.',
    '',
  );
  return lines.join('\n');
}

function table(entries: ReportEntry[]): string[] {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '| what | outcome | reason | where |',
    '|---|---|---|---|',
    ...entries.map(
      (e) =>
        `| ${cell(e.subject)} | ${LABELS[e.outcome]} | ${cell(e.reason)} | ${e.file ? `${e.file}${e.line ? `:${e.line}` : ''}` : ''} |`,
    ),
  ];
}
