import { lineOf } from './import-types.ts';

/**
 * Mage's "API" loader template, `return pd.read_csv(url, sep=',', compression='gzip', dtype=taxi_dtypes,
 * parse_dates=parse_dates)` with a literal URL, dtype map and date list, becomes a native source/http_file block (cached
 * streamed download, DuckDB types). Anything else in the function keeps the block Python: undefined.
 */
export function planHttpCsv(source: string): { config: Record<string, unknown>; line: number } | undefined {
  const fn = /^@data_loader\s*\ndef\s+\w+\([^)]*\)[^:\n]*:\s*\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(source);
  const body = fn?.[1];
  if (!fn || !body) return undefined;
  let rest = body;
  const take = (pattern: RegExp): RegExpExecArray | null => {
    const m = pattern.exec(rest);
    if (m) rest = rest.replace(m[0], '');
    return m;
  };
  const url = take(/^\s*url\s*=\s*['"](https?:\/\/[^'"\s]+)['"][ \t]*$/m)?.[1];
  const dtypeMap = take(/^\s*(\w+)\s*=\s*\{([^}]*)\}[ \t]*$/m);
  const dateList = take(/^\s*(\w+)\s*=\s*\[([^\]]*)\][ \t]*$/m);
  const call = take(/^\s*return\s+pd\.read_csv\(\s*url\s*((?:,\s*\w+\s*=\s*(?:'[^']*'|"[^"]*"|[^,)'"]+))*)\s*,?\s*\)[ \t]*$/m);
  const leftover = rest
    .replace(/#.*$/gm, '')
    .replace(/("""|''')[\s\S]*?\1/g, '')
    .trim();
  if (!url || !call || leftover !== '') return undefined;
  const columns: Record<string, string> = {};
  for (const [key, value] of kwargs(call[1] ?? '')) {
    if (key === 'sep' && /^['"],['"]$/.test(value)) continue;
    if (key === 'compression' && (/^['"](gzip|infer)['"]$/.test(value) || value === 'None')) {
      if (value.includes('gzip') && !/\.gz$/i.test(url)) return undefined; // our reader decompresses by extension
      continue;
    }
    if (key === 'dtype' && dtypeMap && value === dtypeMap[1]) {
      for (const [, name, type] of (dtypeMap[2] ?? '').matchAll(/['"]([^'"]+)['"]\s*:\s*([^,\n]+?)\s*(?:,|$)/gm)) {
        const duck = DTYPES[(type ?? '').trim()];
        if (!name || !duck) return undefined;
        columns[name] = duck;
      }
      continue;
    }
    if (key === 'parse_dates' && dateList && value === dateList[1]) {
      for (const [, name] of (dateList[2] ?? '').matchAll(/['"]([^'"]+)['"]/g)) if (name) columns[name] = 'TIMESTAMP';
      continue;
    }
    return undefined;
  }
  return {
    config: { url, format: 'csv', ...(Object.keys(columns).length > 0 ? { columns } : {}) },
    line: lineOf(source, call[0].trim()) ?? 1,
  };
}

/** pandas dtypes of the templates → DuckDB types. */
const DTYPES: Record<string, string> = {
  'pd.Int64Dtype()': 'BIGINT',
  "'Int64'": 'BIGINT',
  int: 'BIGINT',
  'pd.Int32Dtype()': 'INTEGER',
  float: 'DOUBLE',
  'pd.Float64Dtype()': 'DOUBLE',
  str: 'VARCHAR',
  'pd.StringDtype()': 'VARCHAR',
  "'string'": 'VARCHAR',
  bool: 'BOOLEAN',
  'pd.BooleanDtype()': 'BOOLEAN',
};

function kwargs(text: string): [string, string][] {
  return [...text.matchAll(/,\s*(\w+)\s*=\s*('[^']*'|"[^"]*"|[^,)'"]+)/g)].map((m) => [m[1] ?? '', (m[2] ?? '').trim()]);
}
