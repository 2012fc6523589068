import type { LoadedBlock, Project } from '../model/project.ts';
import { checkPythonBlock } from '../python/check-python.ts';
import { fail, ok, type CheckItem } from './check-types.ts';

/**
 * What `pipewright check` says of a block's Python: its file (a python block or sensor) and its `condition: { python }`
 * each parse, find the interpreter, pandas and every module they import, without running them. Empty for a block
 * with no Python.
 */
export async function checkPythonItems(project: Project, block: LoadedBlock): Promise<CheckItem[]> {
  const targets: { name: string; block: LoadedBlock }[] = [];
  if (block.kind === 'python') targets.push({ name: 'python', block });
  if (block.condition && 'python' in block.condition)
    targets.push({ name: 'condition.python', block: { ...block, file: block.condition.python, code: undefined } });
  const items: CheckItem[] = [];
  for (const target of targets) {
    const check = await checkPythonBlock(project, target.block);
    const file = target.block.code?.relPath ?? target.block.file ?? '';
    for (const problem of check.problems) {
      const place = problem.place?.line !== undefined ? ` (${problem.place.file ?? file}:${problem.place.line})` : '';
      items.push(fail(target.name, `${problem.message}${place}`));
    }
    if (check.problems.length === 0) {
      items.push(
        ok(
          target.name,
          `${file}: Python ${check.version ?? '?'} (${check.interpreter.written}) finds pandas and every import; data as ${check.hasPyarrow ? 'Parquet (pyarrow)' : 'CSV (no pyarrow)'}`,
        ),
      );
    }
  }
  return items;
}
