import type { ColumnInfo } from '../model/workspace-types.ts';
import type { LoadedBlock } from '../model/project.ts';
import { compileCheck } from '../engine/check-sql.ts';
import { checkKindOf } from '../model/check-schema.ts';

/**
 * A block's `checks:` against its design-time columns (and, for relationships, the other block's): each check
 * naming a column the block does not produce, with the column, the block and the check's field in pipeline.yaml.
 * Blocks whose columns are unknown are not judged.
 */
export function checkColumnProblems(
  block: LoadedBlock,
  known: ReadonlyMap<string, ColumnInfo[] | undefined>,
  variables: Record<string, unknown>,
): { message: string; path: string }[] {
  const own = known.get(block.id);
  if (!own) return [];
  const problems: { message: string; path: string }[] = [];
  for (const [index, spec] of (block.checks ?? []).entries()) {
    const check = compileCheck(spec, block.id, variables);
    const at = `checks.${index}.${checkKindOf(spec)}`;
    const missing = check.columns.find((c) => !hasColumn(own, c));
    if (missing) {
      problems.push({ message: `check ${check.name}: block ${block.id} has no column ${missing} (it has ${listed(own)})`, path: at });
      continue;
    }
    const theirs = check.foreign ? known.get(check.foreign.block) : undefined;
    if (check.foreign && theirs && !hasColumn(theirs, check.foreign.column)) {
      problems.push({
        message: `check ${check.name}: block ${check.foreign.block} has no column ${check.foreign.column} (it has ${listed(theirs)})`,
        path: at,
      });
    }
  }
  return problems;
}

function hasColumn(columns: ColumnInfo[], name: string): boolean {
  return columns.some((c) => c.name.toLowerCase() === name.toLowerCase());
}

function listed(columns: ColumnInfo[]): string {
  const names = columns.map((c) => c.name);
  return names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
}
