import { compileCheck } from '../engine/check-sql.ts';
import type { LoadedBlock } from '../model/project.ts';
import { ok, warn, type CheckEnv, type CheckItem } from './check-types.ts';

/**
 * A block's `checks:` against the columns of its last output (and, for relationships, the other block's): the only
 * schema known before a run. A missing column warns rather than fails: the block's code may add it in this run,
 * and the run itself refuses the check if it does not.
 */
export async function checkDataCheckColumns(
  env: Pick<CheckEnv, 'upstreamColumns' | 'variables'>,
  block: LoadedBlock,
): Promise<CheckItem[]> {
  const own = await env.upstreamColumns(block.id);
  if (!own) return [];
  const items: CheckItem[] = [];
  for (const spec of block.checks ?? []) {
    const check = compileCheck(spec, block.id, env.variables);
    const missing = check.columns.find((c) => !has(own, c));
    if (missing) {
      items.push(warn('checks', `check ${check.name}: the last output of ${block.id} has no column ${missing}`));
      continue;
    }
    if (!check.foreign) continue;
    const theirs = await env.upstreamColumns(check.foreign.block);
    if (theirs && !has(theirs, check.foreign.column)) {
      items.push(warn('checks', `check ${check.name}: the last output of ${check.foreign.block} has no column ${check.foreign.column}`));
    }
  }
  return items.length > 0 ? items : [ok('checks', 'every column the checks name is in the last output')];
}

function has(columns: { name: string }[], name: string): boolean {
  return columns.some((c) => c.name.toLowerCase() === name.toLowerCase());
}
