/**
 * BigQuery naming rules (https://cloud.google.com/bigquery/docs/datasets#dataset-naming, …/tables#table_naming,
 * …/schemas#column_names), checked before any upload so a bad name fails at once with the rule it broke.
 */

/** The dataset-naming rule `name` breaks, or undefined when BigQuery would accept it. */
export function datasetNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_]+$/.test(name)) return 'dataset names use only letters, digits and underscores (_)';
  if (name.length > 1024) return 'dataset names have at most 1,024 characters';
  return undefined;
}

/** The table-naming rule `name` breaks, or undefined when BigQuery would accept it. */
export function tableNameProblem(name: string): string | undefined {
  if (!/^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]+$/u.test(name))
    return 'table names use only letters, marks, digits, connectors such as _, dashes and spaces';
  if (Buffer.byteLength(name, 'utf8') > 1024) return 'table names have at most 1,024 bytes of UTF-8';
  return undefined;
}

const RESERVED_PREFIXES = ['_TABLE_', '_FILE_', '_PARTITION', '_ROW_TIMESTAMP', '__ROOT__', '_COLIDENTIFIER', '_CHANGE_'];

/** The column-naming rule `name` breaks (the classic rules, which every load format accepts), or undefined. */
export function columnNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    return 'column names use letters, digits and underscores, and do not start with a digit (rename it in a transform)';
  if (name.length > 300) return 'column names have at most 300 characters';
  const reserved = RESERVED_PREFIXES.find((p) => name.toUpperCase().startsWith(p));
  if (reserved) return `column names cannot start with ${reserved} (reserved by BigQuery)`;
  return undefined;
}

/** Names that appear twice ignoring case (BigQuery column names are case-insensitive). */
export function duplicateNames(names: string[]): string[] {
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const name of names) {
    const other = seen.get(name.toLowerCase());
    if (other !== undefined) duplicates.push(`${other}/${name}`);
    seen.set(name.toLowerCase(), name);
  }
  return duplicates;
}

/** A job id from free text: letters, digits, `_` and `-` only, at most 1,024 characters. */
export function jobIdFrom(parts: string[]): string {
  return parts
    .map((p) => p.replace(/[^A-Za-z0-9_-]/g, '_'))
    .join('_')
    .slice(0, 1024);
}
