import path from 'node:path';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import { isProblem, readCodeFile } from '../project/block-files.ts';
import { runTypeScript } from './ts-runner.ts';

/**
 * Runs the file's export `(ctx) => boolean | Promise<boolean>` in a worker (ctx: variables, blockId, runId, log) through a
 * small generated entry. The entry is compiled from memory (esbuild's stdin) under a name beside the file, so its
 * `./` import resolves and compile errors and throws point at the user's own lines; it is never written to disk.
 */
export async function typescriptConditionHolds(ctx: BlockContext, condition: { typescript: string; export?: string }): Promise<boolean> {
  const place: ErrorPlace = { block: ctx.block.id, path: 'condition.typescript', file: condition.typescript };
  if (path.extname(condition.typescript) !== '.ts')
    throw new UserError(`condition.typescript must name a .ts file, got ${condition.typescript}`, place);
  const code = await readCodeFile(ctx.project.dir, condition.typescript);
  if (isProblem(code)) throw new UserError(`condition.typescript: ${code.problem}`, place);
  const exportName = condition.export ?? 'default';
  const entry = [
    `import * as condition from ${JSON.stringify(`./${path.basename(code.absPath)}`)};`,
    `export default async function (_inputs: unknown, ctx: unknown) {`,
    `  const fn = (condition as Record<string, unknown>)[${JSON.stringify(exportName)}];`,
    `  if (typeof fn !== 'function') return [{ missing: true }];`,
    `  return [{ result: await fn(ctx) }];`,
    `}`,
  ].join('\n');
  const entryPath = path.join(path.dirname(code.absPath), `.pw-condition-${ctx.block.id}.ts`);
  const reply = await runTypeScript({
    ctx,
    source: { relPath: condition.typescript, absPath: entryPath, text: entry },
    mode: 'transform',
    exportNames: ['default'],
    inputs: [],
  });
  const row = reply.type === 'rows' ? reply.rows[0] : undefined;
  if (row?.missing)
    throw new UserError(
      `condition.typescript: ${condition.typescript} has no ${exportName === 'default' ? 'default export' : `export named ${exportName}`}`,
      place,
    );
  const value = row?.result;
  if (typeof value !== 'boolean') {
    throw new UserError(
      `condition.typescript: the function returned ${value === undefined ? 'undefined' : JSON.stringify(String(value))}, not true or false`,
      place,
    );
  }
  return value;
}
