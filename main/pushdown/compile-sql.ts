/** A block's SQL with block names replaced by warehouse table names, and the way back to the user's positions. */
export interface CompiledSql {
  text: string;
  /** The index in the user's SQL of an index in `text` (errors point into the file the user wrote). */
  toSource(index: number): number;
}

/** Keywords after which a name is a table: `from x`, `join x`, and the comma list of a FROM clause. */
const TABLE_KEYWORDS = new Set(['from', 'join']);
/** Keywords that end a FROM clause's comma list. */
const CLAUSE_KEYWORDS = new Set([
  'where',
  'group',
  'order',
  'having',
  'limit',
  'select',
  'union',
  'intersect',
  'except',
  'on',
  'using',
  'qualify',
  'window',
  'as',
]);

/**
 * Replaces each bare name of `names` (block ids) that stands as a table — after FROM or JOIN, or in a FROM clause's
 * comma list — by its qualified table name. Strings, quoted names and comments are left alone, so a column or a
 * literal that spells a block id is not rewritten. Replacements never add lines: line numbers stay the user's.
 */
export function compileBlockNames(sql: string, names: ReadonlyMap<string, string>): CompiledSql {
  const edits: { at: number; from: number; to: number }[] = [];
  let out = '';
  let i = 0;
  let previous = '';
  let inFrom = false;
  while (i < sql.length) {
    const skipped = skipNonCode(sql, i);
    if (skipped > i) {
      out += sql.slice(i, skipped);
      i = skipped;
      continue;
    }
    const char = sql[i]!;
    if (/[A-Za-z_]/.test(char)) {
      let end = i + 1;
      while (end < sql.length && /[A-Za-z0-9_$]/.test(sql[end]!)) end++;
      const word = sql.slice(i, end);
      const lower = word.toLowerCase();
      const isTablePosition = TABLE_KEYWORDS.has(previous) || (inFrom && previous === ',');
      const replacement = isTablePosition && !isQualified(sql, i, end) ? names.get(word) : undefined;
      if (replacement !== undefined) {
        edits.push({ at: out.length, from: word.length, to: replacement.length });
        out += replacement;
      } else {
        out += word;
      }
      if (TABLE_KEYWORDS.has(lower)) inFrom = true;
      else if (CLAUSE_KEYWORDS.has(lower)) inFrom = false;
      previous = lower;
      i = end;
      continue;
    }
    if (!/\s/.test(char)) {
      previous = char;
      if (char === '(' || char === ')') inFrom = false;
    }
    out += char;
    i++;
  }
  return { text: out, toSource: (index) => sourceIndex(edits, index) };
}

/** `x.block` or `block.x` or `block(`: a column, a qualified name or a function, not one of ours. */
function isQualified(sql: string, start: number, end: number): boolean {
  const after = sql.slice(end).match(/^\s*([.(])/);
  return sql[start - 1] === '.' || after !== null;
}

/** The index past a comment or a quoted string/name starting at `i`, or `i` when none starts there. */
function skipNonCode(sql: string, i: number): number {
  const two = sql.slice(i, i + 2);
  if (two === '--' || sql[i] === '#') {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length : end;
  }
  if (two === '/*') {
    const end = sql.indexOf('*/', i + 2);
    return end < 0 ? sql.length : end + 2;
  }
  const quote = sql[i];
  if (quote !== "'" && quote !== '"' && quote !== '`') return i;
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === '\\' && quote !== '"') j += 2;
    else if (sql[j] === quote && sql[j + 1] === quote) j += 2;
    else if (sql[j] === quote) return j + 1;
    else j++;
  }
  return sql.length;
}

function sourceIndex(edits: readonly { at: number; from: number; to: number }[], index: number): number {
  let shift = 0;
  for (const edit of edits) {
    if (index < edit.at) break;
    // Inside a replacement: the start of the name the user wrote.
    if (index < edit.at + edit.to) return edit.at - shift;
    shift += edit.to - edit.from;
  }
  return index - shift;
}
