import type { ColumnInfo } from '../model/workspace-types.ts';
import type { ColumnLineage } from '../model/design-types.ts';

export type { ColumnLineage };

type Source = ColumnLineage['sources'][number];
interface ScopeColumn {
  name: string;
  sources: Source[];
}
interface Relation {
  alias: string;
  columns: ScopeColumn[];
}
type Node = Record<string, unknown>;

/**
 * Column lineage of one SELECT from DuckDB's own parse tree (`json_serialize_sql`): each output column with the
 * upstream columns it reads, through `*` (with EXCLUDE and REPLACE), aliases, joins, subqueries, CTEs and set
 * operations. `upstream` gives each readable block's columns; names are matched case-insensitively as DuckDB does.
 * Undefined when the statement is not a plain query (the tree says error) — lineage is a help, never a refusal.
 */
export function lineageOfQuery(serialized: unknown, upstream: ReadonlyMap<string, ColumnInfo[]>): ColumnLineage[] | undefined {
  const tree = serialized as { error?: boolean; statements?: { node?: Node }[] };
  const node = tree.statements?.[0]?.node;
  if (tree.error || !node) return undefined;
  return columnsOfNode(node, upstream, new Map()).map((c) => ({ column: c.name, sources: unique(c.sources) }));
}

function columnsOfNode(
  node: Node,
  upstream: ReadonlyMap<string, ColumnInfo[]>,
  outerCtes: ReadonlyMap<string, ScopeColumn[]>,
): ScopeColumn[] {
  const ctes = new Map(outerCtes);
  for (const entry of (node.cte_map as { map?: { key: string; value: { query?: { node?: Node } } }[] } | undefined)?.map ?? []) {
    const query = entry.value.query?.node;
    if (query) ctes.set(entry.key.toLowerCase(), columnsOfNode(query, upstream, ctes));
  }
  if (node.type === 'SET_OPERATION_NODE') {
    const left = columnsOfNode(node.left as Node, upstream, ctes);
    const right = columnsOfNode(node.right as Node, upstream, ctes);
    return left.map((c, i) => ({ name: c.name, sources: [...c.sources, ...(right[i]?.sources ?? [])] }));
  }
  if (node.type !== 'SELECT_NODE') return [];
  const relations = relationsOf(node.from_table as Node | null, upstream, ctes);
  return (node.select_list as Node[]).flatMap((item) => selectItem(item, relations));
}

function relationsOf(
  table: Node | null,
  upstream: ReadonlyMap<string, ColumnInfo[]>,
  ctes: ReadonlyMap<string, ScopeColumn[]>,
): Relation[] {
  if (!table) return [];
  const alias = String(table.alias ?? '');
  if (table.type === 'JOIN')
    return [...relationsOf(table.left as Node, upstream, ctes), ...relationsOf(table.right as Node, upstream, ctes)];
  if (table.type === 'SUBQUERY') {
    const sub = (table.subquery as { node?: Node } | undefined)?.node;
    return sub ? [{ alias, columns: columnsOfNode(sub, upstream, ctes) }] : [];
  }
  if (table.type !== 'BASE_TABLE') return [];
  const name = String(table.table_name);
  const fromCte = ctes.get(name.toLowerCase());
  if (fromCte) return [{ alias: alias || name, columns: fromCte }];
  const block = [...upstream.keys()].find((k) => k.toLowerCase() === name.toLowerCase());
  const columns = block ? (upstream.get(block) ?? []).map((c) => ({ name: c.name, sources: [{ block, column: c.name }] })) : [];
  return [{ alias: alias || name, columns }];
}

function selectItem(item: Node, relations: Relation[]): ScopeColumn[] {
  if (item.class === 'STAR' && !item.expr) {
    const qualifier = String(item.relation_name ?? '').toLowerCase();
    const excluded = new Set(excludedNames(item));
    const replaced = new Map(
      ((item.replace_list as { key: string; value: Node }[] | undefined) ?? []).map((r) => [r.key.toLowerCase(), r.value]),
    );
    return relations
      .filter((r) => !qualifier || r.alias.toLowerCase() === qualifier)
      .flatMap((r) => r.columns)
      .filter((c) => !excluded.has(c.name.toLowerCase()))
      .map((c) => {
        const replacement = replaced.get(c.name.toLowerCase());
        return replacement ? { name: c.name, sources: refsOf(replacement).flatMap((ref) => resolve(ref, relations)) } : c;
      });
  }
  const refs = refsOf(item);
  const name = String(item.alias || (item.class === 'COLUMN_REF' ? (item.column_names as string[]).at(-1) : '') || '');
  return [{ name, sources: refs.flatMap((ref) => resolve(ref, relations)) }];
}

function excludedNames(item: Node): string[] {
  const plain = ((item.exclude_list as unknown[] | undefined) ?? []).map(String);
  const qualified = ((item.qualified_exclude_list as { column_names?: string[] }[] | undefined) ?? []).map(
    (q) => q.column_names?.at(-1) ?? '',
  );
  return [...plain, ...qualified].map((n) => n.toLowerCase());
}

/** Every column reference inside an expression (not inside subqueries: they read their own FROM). */
function refsOf(value: unknown): string[][] {
  if (Array.isArray(value)) return value.flatMap(refsOf);
  if (value === null || typeof value !== 'object') return [];
  const node = value as Node;
  if (node.class === 'COLUMN_REF') return [node.column_names as string[]];
  if (node.class === 'SUBQUERY') return [];
  return Object.values(node).flatMap(refsOf);
}

function resolve(ref: string[], relations: Relation[]): Source[] {
  const column = (ref.at(-1) ?? '').toLowerCase();
  const qualifier = ref.length > 1 ? (ref.at(-2) ?? '').toLowerCase() : undefined;
  for (const relation of relations) {
    if (qualifier !== undefined && relation.alias.toLowerCase() !== qualifier) continue;
    const found = relation.columns.find((c) => c.name.toLowerCase() === column);
    if (found) return found.sources;
  }
  return [];
}

function unique(sources: Source[]): Source[] {
  const seen = new Set<string>();
  return sources.filter((s) => {
    const key = `${s.block}\0${s.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
