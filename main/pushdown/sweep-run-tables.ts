import { RUN_TABLE_PREFIX, runTag, runTagOf } from './table-names.ts';
import type { Warehouse } from './warehouse.ts';

/** Namespaces swept by this process, per run: a run's blocks sweep a dataset or schema once, not once each. */
const swept = new Set<string>();
const MAX_REMEMBERED = 1000;

/**
 * Drops the run-scoped tables in `namespace` left by runs that are not in flight (a process killed between build
 * and publish leaves one). A table is dropped only when its run tag is one of `settledRunIds` (this project's
 * history, any status but running); tables of runs in flight, of the current run and of runs this history does not
 * know (another project or machine on the same warehouse) are kept. Resolves to the tables dropped.
 */
export async function sweepRunTables(
  warehouse: Warehouse,
  namespace: string,
  settledRunIds: () => Iterable<string>,
  currentRunId: string,
): Promise<string[]> {
  const key = `${warehouse.engine}\0${namespace}\0${currentRunId}`;
  if (swept.has(key)) return [];
  if (swept.size >= MAX_REMEMBERED) swept.clear();
  swept.add(key);
  const leftovers = new Map<string, string[]>();
  const current = runTag(currentRunId);
  for (const table of await warehouse.listTables(namespace, RUN_TABLE_PREFIX)) {
    const tag = runTagOf(table);
    if (tag && tag !== current) leftovers.set(tag, [...(leftovers.get(tag) ?? []), table]);
  }
  const dropped: string[] = [];
  if (leftovers.size === 0) return dropped;
  for (const runId of settledRunIds()) {
    const tables = leftovers.get(runTag(runId));
    if (!tables) continue;
    leftovers.delete(runTag(runId));
    for (const table of tables) {
      await warehouse.drop({ namespace, table });
      dropped.push(`${namespace}.${table} (run ${runId})`);
    }
    if (leftovers.size === 0) break;
  }
  return dropped;
}
