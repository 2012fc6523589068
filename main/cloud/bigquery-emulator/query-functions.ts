import { GoogleHttpError } from '../http-util.ts';

/**
 * GoogleSQL functions rewritten to DuckDB (the text has already been through translateQuery's lexical pass: strings
 * single-quoted, names double-quoted, no comments). Each rule follows the GoogleSQL reference
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/functions-and-operators); the README of this folder
 * lists them. Functions DuckDB spells and means the same way (COUNT, SUM, ROUND, COALESCE, IFNULL, STRING_AGG …)
 * are left alone.
 */
type Rule = (args: string[]) => string;

const part = (text: string | undefined): string => `'${(text ?? '').trim().toLowerCase()}'`;

const RULES: Record<string, Rule> = {
  // DATE(timestamp) is the UTC date (the emulator's DuckDB runs in UTC); DATE(y, m, d) builds one.
  DATE: (a) =>
    a.length === 3 ? `make_date(${a.join(', ')})` : a.length === 2 ? `CAST(timezone(${a[1]}, ${a[0]}) AS DATE)` : `CAST(${a[0]} AS DATE)`,
  DATETIME: (a) => (a.length === 1 ? `CAST(${a[0]} AS TIMESTAMP)` : `CAST(${a[0]} + ${a[1]} AS TIMESTAMP)`),
  TIMESTAMP: (a) => (a.length === 2 ? `timezone(${a[1]}, CAST(${a[0]} AS TIMESTAMP))` : `CAST(${a[0]} AS TIMESTAMPTZ)`),
  DATE_TRUNC: (a) =>
    a[1]?.trim().toUpperCase() === 'WEEK'
      ? `CAST(CAST(${a[0]} AS DATE) - CAST(dayofweek(${a[0]}) AS INTEGER) AS DATE)`
      : `CAST(date_trunc(${truncPart(a[1])}, ${a[0]}) AS DATE)`,
  TIMESTAMP_TRUNC: (a) => `date_trunc(${truncPart(a[1])}, ${a[0]})`,
  DATETIME_TRUNC: (a) => `date_trunc(${truncPart(a[1])}, ${a[0]})`,
  DATE_ADD: (a) => `CAST(${a[0]} + ${a[1]} AS DATE)`,
  DATE_SUB: (a) => `CAST(${a[0]} - ${a[1]} AS DATE)`,
  TIMESTAMP_ADD: (a) => `(${a[0]} + ${a[1]})`,
  TIMESTAMP_SUB: (a) => `(${a[0]} - ${a[1]})`,
  DATETIME_ADD: (a) => `(${a[0]} + ${a[1]})`,
  DATETIME_SUB: (a) => `(${a[0]} - ${a[1]})`,
  // DATE_DIFF counts part boundaries crossed; TIMESTAMP_DIFF and DATETIME_DIFF whole parts elapsed.
  DATE_DIFF: (a) => `date_diff(${part(a[2])}, ${a[1]}, ${a[0]})`,
  TIMESTAMP_DIFF: (a) => `date_sub(${part(a[2])}, ${a[1]}, ${a[0]})`,
  DATETIME_DIFF: (a) => `date_sub(${part(a[2])}, ${a[1]}, ${a[0]})`,
  FORMAT_DATE: (a) => `strftime(${a[1]}, ${a[0]})`,
  FORMAT_DATETIME: (a) => `strftime(${a[1]}, ${a[0]})`,
  FORMAT_TIMESTAMP: (a) => `strftime(${a.length === 3 ? `timezone(${a[2]}, ${a[1]})` : a[1]}, ${a[0]})`,
  PARSE_DATE: (a) => `CAST(strptime(${a[1]}, ${a[0]}) AS DATE)`,
  PARSE_DATETIME: (a) => `CAST(strptime(${a[1]}, ${a[0]}) AS TIMESTAMP)`,
  PARSE_TIMESTAMP: (a) => `CAST(strptime(${a[1]}, ${a[0]}) AS TIMESTAMPTZ)`,
  CURRENT_DATE: () => 'current_date',
  CURRENT_TIMESTAMP: () => 'current_timestamp',
  CURRENT_DATETIME: () => 'CAST(current_timestamp AS TIMESTAMP)',
  UNIX_SECONDS: (a) => `CAST(epoch(${a[0]}) AS BIGINT)`,
  UNIX_MILLIS: (a) => `epoch_ms(${a[0]})`,
  UNIX_MICROS: (a) => `epoch_us(${a[0]})`,
  UNIX_DATE: (a) => `CAST(${a[0]} - DATE '1970-01-01' AS BIGINT)`,
  TIMESTAMP_SECONDS: (a) => `to_timestamp(${a[0]})`,
  TIMESTAMP_MILLIS: (a) => `to_timestamp(${a[0]} / 1000.0)`,
  TIMESTAMP_MICROS: (a) => `to_timestamp(${a[0]} / 1000000.0)`,
  // SAFE_DIVIDE answers NULL where division would fail (by zero).
  SAFE_DIVIDE: (a) => `CASE WHEN (${a[1]}) = 0 THEN NULL ELSE (${a[0]}) / (${a[1]}) END`,
  DIV: (a) => `(${a[0]} // ${a[1]})`,
  COUNTIF: (a) => `count_if(${a[0]})`,
  LOGICAL_AND: (a) => `bool_and(${a[0]})`,
  LOGICAL_OR: (a) => `bool_or(${a[0]})`,
  REGEXP_CONTAINS: (a) => `regexp_matches(${a[0]}, ${a[1]})`,
  SPLIT: (a) => `string_split(${a[0]}, ${a[1] ?? "','"})`,
  ARRAY_LENGTH: (a) => `len(${a[0]})`,
  TO_JSON_STRING: (a) => `CAST(to_json(${a[0]}) AS VARCHAR)`,
  // STRUCT(1 AS a, x) names unnamed fields _field_N, as GoogleSQL does.
  STRUCT: (a) =>
    `struct_pack(${a
      .map((arg, k) => {
        const named = /^([\s\S]*?)\s+AS\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)$/i.exec(arg);
        return named ? `${named[2]} := ${named[1]}` : `_field_${k + 1} := ${arg}`;
      })
      .join(', ')})`,
  GENERATE_ARRAY: (a) => `generate_series(${a.join(', ')})`,
  GENERATE_DATE_ARRAY: (a) =>
    `list_transform(generate_series(CAST(${a[0]} AS TIMESTAMP), CAST(${a[1]} AS TIMESTAMP), ${a[2] ?? 'INTERVAL 1 DAY'}), x -> CAST(x AS DATE))`,
  EXTRACT: (a) => extract(a[0] ?? ''),
  // APPROX_QUANTILES(x, n) answers n + 1 values: the minimum, the n - 1 boundaries, the maximum.
  APPROX_QUANTILES: (a) => {
    const buckets = Number(a[1]);
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 10_000)
      throw new GoogleHttpError(
        400,
        'invalidQuery',
        'APPROX_QUANTILES needs a whole number of quantiles from 1 to 10000 (a literal) in the emulator',
      );
    return `approx_quantile(${a[0]}, [${Array.from({ length: buckets + 1 }, (_, k) => k / buckets).join(', ')}])`;
  },
};

const TRUNC_PARTS = ['MICROSECOND', 'MILLISECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY', 'ISOWEEK', 'MONTH', 'QUARTER', 'YEAR', 'ISOYEAR'];

function truncPart(text: string | undefined): string {
  const upper = (text ?? '').trim().toUpperCase();
  if (upper === 'ISOWEEK') return "'week'";
  if (!TRUNC_PARTS.includes(upper))
    throw new GoogleHttpError(
      400,
      'invalidQuery',
      `the emulator truncates timestamps to ${TRUNC_PARTS.join(', ')} (DATE_TRUNC also to WEEK); not to ${upper || 'nothing'}`,
    );
  return part(upper);
}

/** EXTRACT(part FROM x): DAYOFWEEK counts 1 (Sunday) to 7 in GoogleSQL; DATE FROM takes the date. */
function extract(arg: string): string {
  const match = /^\s*(\w+)\s+FROM\s+([\s\S]*)$/i.exec(arg);
  if (!match) return `EXTRACT(${arg})`;
  const [, name, value] = match;
  const upper = name!.toUpperCase();
  if (upper === 'DAYOFWEEK') return `(EXTRACT(dow FROM ${value}) + 1)`;
  if (upper === 'DATE') return `CAST(${value} AS DATE)`;
  if (upper === 'ISOWEEK') return `EXTRACT(week FROM ${value})`;
  if (upper === 'WEEK')
    throw new GoogleHttpError(400, 'invalidQuery', 'EXTRACT(WEEK …) counts Sunday-based weeks, which the emulator does not; use ISOWEEK');
  return `EXTRACT(${name} FROM ${value})`;
}

/** Rewrites the GoogleSQL function calls of `sql` (arguments first), leaving everything else as it is. */
export function rewriteFunctions(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    if (char === "'" || char === '"') {
      const end = quotedEnd(sql, i);
      out += sql.slice(i, end);
      i = end;
    } else if (/[A-Za-z_]/.test(char) && !/[A-Za-z0-9_."]/.test(sql[i - 1] ?? ' ')) {
      let end = i;
      while (end < sql.length && /[A-Za-z0-9_]/.test(sql[end]!)) end++;
      const word = sql.slice(i, end);
      const open = end + (/^\s*/.exec(sql.slice(end))?.[0].length ?? 0);
      const upper = word.toUpperCase();
      const safeCall = upper === 'SAFE' && sql[end] === '.' ? /^\.\s*[A-Za-z_][A-Za-z0-9_]*\s*\(/.exec(sql.slice(end)) : null;
      if (safeCall) {
        // SAFE.f(…) answers NULL where f would raise an error: DuckDB's try().
        const close = matchingParen(sql, end + safeCall[0].length - 1);
        out += `try(${rewriteFunctions(sql.slice(end + 1, close + 1).trim())})`;
        i = close + 1;
      } else if (sql[open] === '(' && (RULES[upper] || upper === 'UNNEST')) {
        const close = matchingParen(sql, open);
        const args = splitArgs(sql.slice(open + 1, close)).map(rewriteFunctions);
        const call = upper === 'UNNEST' ? unnest(args, sql.slice(close + 1)) : { text: RULES[upper]!(args), skip: 0 };
        out += call.text;
        i = close + 1 + call.skip;
      } else {
        out += word;
        i = end;
      }
    } else {
      out += char;
      i++;
    }
  }
  return out;
}

/**
 * `UNNEST(array) AS x` names the element column x in GoogleSQL; DuckDB's table function would name it `unnest`, so
 * it becomes `(SELECT unnest(array) AS x) AS x`. Answers the text and how many characters of `after` it took.
 */
function unnest(args: string[], after: string): { text: string; skip: number } {
  const alias = /^\s+(?:AS\s+)?("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)/i.exec(after);
  const reserved = [
    'WITH',
    'ON',
    'WHERE',
    'JOIN',
    'LEFT',
    'CROSS',
    'INNER',
    'GROUP',
    'ORDER',
    'LIMIT',
    'UNION',
    'QUALIFY',
    'WINDOW',
    'HAVING',
  ];
  if (!alias || reserved.includes(alias[1]!.toUpperCase())) return { text: `unnest(${args.join(', ')})`, skip: 0 };
  return { text: `(SELECT unnest(${args.join(', ')}) AS ${alias[1]}) AS ${alias[1]}`, skip: alias[0].length };
}

function quotedEnd(sql: string, start: number): number {
  const quote = sql[start];
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote && sql[i + 1] === quote) i += 2;
    else if (sql[i] === quote) return i + 1;
    else i++;
  }
  return sql.length;
}

function matchingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i++) {
    const char = sql[i];
    if (char === "'" || char === '"') i = quotedEnd(sql, i) - 1;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return i;
  }
  throw new GoogleHttpError(400, 'invalidQuery', 'Syntax error: unclosed parenthesis');
}

/** The top-level, comma-separated arguments of a call (brackets and quotes respected). */
function splitArgs(inner: string): string[] {
  if (inner.trim() === '') return [];
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i];
    if (char === "'" || char === '"') i = quotedEnd(inner, i) - 1;
    else if (char === '(' || char === '[') depth++;
    else if (char === ')' || char === ']') depth--;
    else if (char === ',' && depth === 0) {
      args.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(inner.slice(start).trim());
  return args;
}
