import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './usage.ts';

/** `pipewright import mage <dir> [--into <dir>] [--force] [--python <interpreter>]`: prints the report's summary. */
export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { into: { type: 'string' }, force: { type: 'boolean' }, python: { type: 'string' } },
  });
  const [from, dir, ...extra] = positionals;
  if (from !== 'mage' || !dir || extra.length > 0) throw new UsageError('import takes: mage <mage_project_dir>');
  const into = values.into ?? `${path.basename(path.resolve(dir))}-pipewright`;
  const { importMage } = await import('../mage/import-mage.ts');
  const result = await importMage(dir, {
    into,
    ...(values.force ? { force: true } : {}),
    ...(values.python ? { python: values.python } : {}),
  });
  const count = (o: string) => result.log.entries.filter((e) => e.outcome === o).length;
  process.stdout.write(
    `imported ${result.pipelines.length} pipeline(s) into ${result.into}: ${count('native')} converted natively, ${count('python')} kept as Python, ${count('attention')} need attention\n`,
  );
  for (const e of result.log.entries.filter((x) => x.outcome === 'attention')) {
    process.stdout.write(
      `  ${[e.pipeline, e.subject].filter(Boolean).join('/')}: ${e.reason}${e.file ? ` (${e.file}${e.line ? `:${e.line}` : ''})` : ''}\n`,
    );
  }
  if (result.log.envVars.size > 0) process.stdout.write(`set: ${[...result.log.envVars.keys()].join(', ')}\n`);
  process.stdout.write(`report: ${path.join(result.into, 'IMPORT_REPORT.md')}\n`);
  return 0;
}
