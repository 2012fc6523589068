import { GoogleHttpError } from '../http-util.ts';

/**
 * A GoogleSQL token, for telling statements apart and reading DDL clauses
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical): `word` (keyword or unquoted name),
 * `name` (a backtick-quoted name, text without backticks), `string`, `number`, or one `symbol` character.
 * `start`/`end` index the original text, so a clause can be cut out of it as written.
 */
export interface Token {
  kind: 'word' | 'name' | 'string' | 'number' | 'symbol';
  text: string;
  start: number;
  end: number;
}

/** The tokens of `sql`, comments (`--`, `#` and block comments) left out. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if ((char === '-' && sql[i + 1] === '-') || char === '#') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (char === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (char === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) refuse('unclosed backtick name');
      tokens.push({ kind: 'name', text: sql.slice(i + 1, end), start: i, end: end + 1 });
      i = end + 1;
    } else if (char === "'" || char === '"' || (/[rRbB]/.test(char) && /['"]/.test(sql[i + 1] ?? ''))) {
      const quoteAt = char === "'" || char === '"' ? i : i + 1;
      const end = stringEnd(sql, quoteAt);
      tokens.push({ kind: 'string', text: sql.slice(i, end), start: i, end });
      i = end;
    } else if (/[A-Za-z_]/.test(char)) {
      const end = runOf(sql, i, /[A-Za-z0-9_]/);
      tokens.push({ kind: 'word', text: sql.slice(i, end), start: i, end });
      i = end;
    } else if (/[0-9]/.test(char)) {
      const end = runOf(sql, i, /[0-9.eE]/);
      tokens.push({ kind: 'number', text: sql.slice(i, end), start: i, end });
      i = end;
    } else {
      tokens.push({ kind: 'symbol', text: char, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

/** Whether `token` is the keyword `word` (keywords are case-insensitive). */
export function isWord(token: Token | undefined, word: string): boolean {
  return token?.kind === 'word' && token.text.toUpperCase() === word;
}

export function refuse(message: string): never {
  throw new GoogleHttpError(400, 'invalidQuery', message);
}

function runOf(sql: string, from: number, pattern: RegExp): number {
  let end = from;
  while (end < sql.length && pattern.test(sql[end]!)) end++;
  return end;
}

/** The index after a quoted string starting at `quoteAt` (triple quotes too; backslash escapes skipped). */
function stringEnd(sql: string, quoteAt: number): number {
  const quote = sql[quoteAt]!;
  const triple = sql.startsWith(quote.repeat(3), quoteAt);
  const closing = triple ? quote.repeat(3) : quote;
  let i = quoteAt + closing.length;
  while (i < sql.length) {
    if (sql[i] === '\\') i += 2;
    else if (sql.startsWith(closing, i)) return i + closing.length;
    else i++;
  }
  refuse('unclosed string literal');
}

/** Reads tokens in order, for the small DDL grammar the emulator accepts. */
export class Cursor {
  private i = 0;

  constructor(readonly tokens: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  next(): Token | undefined {
    return this.tokens[this.i++];
  }

  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }

  /** Consumes `words` if the next tokens are exactly these keywords. */
  acceptWords(...words: string[]): boolean {
    if (!words.every((w, k) => isWord(this.peek(k), w))) return false;
    this.i += words.length;
    return true;
  }

  acceptSymbol(symbol: string): boolean {
    const token = this.peek();
    if (token?.kind !== 'symbol' || token.text !== symbol) return false;
    this.i++;
    return true;
  }

  expectWords(where: string, ...words: string[]): void {
    if (!this.acceptWords(...words)) refuse(`Syntax error: expected ${words.join(' ')} ${where} but got ${this.describeNext()}`);
  }

  expectSymbol(where: string, symbol: string): void {
    if (!this.acceptSymbol(symbol)) refuse(`Syntax error: expected "${symbol}" ${where} but got ${this.describeNext()}`);
  }

  /** The next token as an error message quotes it. */
  describeNext(): string {
    const token = this.peek();
    return token ? `"${token.text}"` : 'end of statement';
  }
}
