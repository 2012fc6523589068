import { lineOf } from './import-types.ts';

/**
 * The course's partitioned Parquet exporter: `pq.write_to_dataset(table, root_path=…, partition_cols=[…],
 * filesystem=pa.fs.GcsFileSystem())` (or no filesystem: a local folder) after `table = pa.Table.from_pandas(data)`,
 * optionally with date columns derived first (`data['d'] = data['ts'].dt.date`). Anything else in the function keeps
 * the block Python: undefined.
 */
export interface DatasetPlan {
  target: 'gcs' | 'local';
  /** GCS: the bucket (first segment of root_path); local: undefined. */
  bucket?: string;
  /** GCS: the prefix inside the bucket; local: the folder. */
  path: string;
  partitionBy: string[];
  /** Columns the function adds before writing, each the date of a timestamp column. */
  derived: { column: string; from: string }[];
  line: number;
}

const GCS_FILESYSTEM = /^(?:pa\.fs|pyarrow\.fs|fs)\.GcsFileSystem\(\s*\)$/;

export function planParquetDataset(source: string): DatasetPlan | undefined {
  const fn = /^@data_exporter\s*\ndef\s+\w+\(\s*(\w+)[^)]*\)[^:\n]*:\s*\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(source);
  const param = fn?.[1];
  const body = fn?.[2];
  const start = source.indexOf('write_to_dataset(');
  if (!param || !body || start < 0) return undefined;
  const args = balancedArgs(source, start + 'write_to_dataset('.length);
  if (!args) return undefined;
  const callText = source.slice(start, args.end + 1);
  // The body, minus the call, comments and docstrings, must be only the template's other statements.
  const assigned = new Map<string, string>();
  const derived: DatasetPlan['derived'] = [];
  const rest = body
    .replace(callText, '')
    .replace(/("""|''')[\s\S]*?\1/g, '')
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
  for (const line of rest) {
    const derive = new RegExp(`^${param}\\[['"]([^'"]+)['"]\\]\\s*=\\s*${param}\\[['"]([^'"]+)['"]\\]\\.dt\\.date$`).exec(line);
    const assign = /^(\w+)\s*=\s*(.+)$/.exec(line);
    if (derive?.[1] && derive[2]) derived.push({ column: derive[1], from: derive[2] });
    else if (assign?.[1] && assign[2]) assigned.set(assign[1], assign[2].trim());
    // The call's `pq.` prefix is left when the call is cut out; credentials set for pyarrow come from the connection here.
    else if (!/^(?:pq\.|pyarrow\.parquet\.)?$/.test(line) && !/^os\.environ\[['"]GOOGLE_APPLICATION_CREDENTIALS['"]\]\s*=/.test(line))
      return undefined;
  }
  const [table, ...kwargs] = args.list;
  if (!table || assigned.get(table) !== `pa.Table.from_pandas(${param})`) return undefined;
  const options = new Map(kwargs.map((kw) => /^(\w+)\s*=\s*([\s\S]+)$/.exec(kw)).map((m) => [m?.[1] ?? '', m?.[2]?.trim() ?? '']));
  if ([...options.keys()].some((k) => !['root_path', 'partition_cols', 'filesystem'].includes(k))) return undefined;
  const moduleValues = moduleAssignments(source);
  const lookup = (name: string) => assigned.get(name) ?? moduleValues.get(name);
  const root = resolveString(options.get('root_path'), lookup);
  const partitionBy = [...(options.get('partition_cols') ?? '').matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
  if (!root || partitionBy.length === 0 || !/^\[\s*(['"][^'"]+['"]\s*,?\s*)+\]$/.test(options.get('partition_cols') ?? ''))
    return undefined;
  let filesystem = options.get('filesystem');
  if (filesystem && /^\w+$/.test(filesystem)) filesystem = lookup(filesystem);
  const line = lineOf(source, callText) ?? 1;
  for (const [name, value] of assigned) if (name !== table && !(value === filesystem && GCS_FILESYSTEM.test(value))) return undefined;
  if (filesystem === undefined) return { target: 'local', path: root, partitionBy, derived, line };
  if (!GCS_FILESYSTEM.test(filesystem)) return undefined;
  const [bucket, ...prefix] = root.replace(/^gs:\/\//, '').split('/');
  if (!bucket || prefix.join('/') === '') return undefined;
  return { target: 'gcs', bucket, path: `${prefix.join('/').replace(/\/+$/, '')}/`, partitionBy, derived, line };
}

/** The comma-separated arguments from `open` (just after `(`) to the matching `)`, not splitting inside brackets or strings. */
function balancedArgs(text: string, open: number): { list: string[]; end: number } | undefined {
  const list: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (depth === 0) {
        if (current.trim()) list.push(current.trim());
        return { list, end: i };
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      list.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  return undefined;
}

/** `name = <expr>` at the top level of the module (the template's bucket_name, table_name, root_path). */
function moduleAssignments(source: string): Map<string, string> {
  return new Map([...source.matchAll(/^(\w+)\s*=\s*(.+?)\s*$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** A string literal, or an f-string of names that resolve to literals, or a name of one; undefined otherwise. */
function resolveString(expr: string | undefined, lookup: (name: string) => string | undefined, depth = 0): string | undefined {
  if (!expr || depth > 4) return undefined;
  const literal = /^(['"])([^'"{}]*)\1$/.exec(expr);
  if (literal) return literal[2];
  const fstring = /^f(['"])([^'"]*)\1$/.exec(expr);
  if (fstring) {
    let ok = true;
    const text = (fstring[2] ?? '').replace(/\{(\w+)\}/g, (_m, name: string) => {
      const value = resolveString(lookup(name), lookup, depth + 1);
      if (value === undefined) ok = false;
      return value ?? '';
    });
    return ok && !/[{}]/.test(text) ? text : undefined;
  }
  return /^\w+$/.test(expr) ? resolveString(lookup(expr), lookup, depth + 1) : undefined;
}
