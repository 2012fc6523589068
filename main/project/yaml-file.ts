import { readFile, stat } from 'node:fs/promises';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, YAMLError } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../model/errors.ts';
import type { ErrorPlace } from '../model/errors.ts';
import { describeIssues, formatPath } from './schema-issues.ts';
import type { DataPath } from './schema-issues.ts';

export type { DataPath } from './schema-issues.ts';

/** Project files (YAML, JSON, block code) larger than this are refused before they are read. */
export const MAX_PROJECT_FILE_BYTES = 2 * 1024 * 1024;
/** Alias expansions allowed per document: real files use a handful; "billion laughs" files need millions. */
const MAX_ALIAS_COUNT = 50;
/** Nesting allowed before parsing: real project files stay under ~15 levels; deeper input can exhaust the stack. */
const MAX_NESTING = 64;
/** Validation problems listed in one error message. */
const MAX_LISTED_ISSUES = 5;

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** A parsed YAML (or JSON) project file that can point back at its own lines. */
export interface YamlSource {
  absPath: string;
  /** Path relative to the project root, as shown to the user. */
  relPath: string;
  text: string;
  data: unknown;
  /** Where `path` is written: the key of a mapping entry, the start of a list item; the nearest written ancestor otherwise. */
  locate(path: DataPath): Position;
}

/**
 * Reads a project text file, refusing files over 2 MB. Resolves to undefined when the file does not exist;
 * throws a UserError naming `relPath` for a folder in its place or a file that is too large.
 */
export async function readProjectText(absPath: string, relPath: string): Promise<string | undefined> {
  const info = await stat(absPath).catch((error: unknown) => {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined;
    throw error;
  });
  if (!info) return undefined;
  if (!info.isFile()) throw new UserError(`${relPath} is not a file`, { file: relPath });
  if (info.size > MAX_PROJECT_FILE_BYTES) throw tooLarge(relPath, info.size);
  const bytes = await readFile(absPath);
  // The file may have grown between stat and read.
  if (bytes.length > MAX_PROJECT_FILE_BYTES) throw tooLarge(relPath, bytes.length);
  return bytes.toString('utf8');
}

/** Reads and parses a YAML (or JSON) project file; undefined when it does not exist. */
export async function readYamlFile(absPath: string, relPath: string): Promise<YamlSource | undefined> {
  const text = await readProjectText(absPath, relPath);
  return text === undefined ? undefined : parseYamlText(text, absPath, relPath);
}

/**
 * Parses one YAML document (JSON is YAML too) with duplicate keys refused and alias expansion capped.
 * Malformed text throws a UserError naming the file, line and column.
 */
export function parseYamlText(text: string, absPath: string, relPath: string): YamlSource {
  refuseDeepNesting(text, relPath);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, logLevel: 'error' });
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const [firstError] = doc.errors;
  if (firstError) throw syntaxError(firstError, doc, text, relPath, position);
  const data = toData(doc, relPath, position);
  const source: YamlSource = { absPath, relPath, text, data, locate: (path) => position(offsetOf(doc, path)) };
  refuseNul(source, data, []);
  return source;
}

/** A NUL in a string (`file: "a\0.sql"`) cannot name a file and has no place in SQL or config: refuse it where written. */
function refuseNul(source: YamlSource, value: unknown, path: DataPath): void {
  if (typeof value === 'string') {
    if (value.includes('\0')) throw errorAt(source, path, 'contains a NUL character (\\0): remove it');
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => refuseNul(source, item, [...path, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\0')) throw errorAt(source, path, `the key ${JSON.stringify(key)} contains a NUL character (\\0): remove it`);
      refuseNul(source, item, [...path, key]);
    }
  }
}

/**
 * Validates the file's data (or `data` standing for the part at `at`, e.g. a rendered block config) with
 * `schema`. Throws one UserError listing the first problems in file order as `<file>:<line>:<col> <path>: <what>`;
 * its place is the first problem's.
 */
export function validateYaml<T>(source: YamlSource, schema: z.ZodType<T>, opts: { at?: DataPath; data?: unknown; block?: string } = {}): T {
  const data = 'data' in opts ? opts.data : source.data;
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const at = opts.at ?? [];
  const located = describeIssues(result.error.issues, schema, data)
    .map((issue) => ({ ...issue, path: [...at, ...issue.path], at: source.locate([...at, ...issue.path]) }))
    .sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column);
  const lines = located
    .slice(0, MAX_LISTED_ISSUES)
    .map((issue) => `${source.relPath}:${issue.at.line}:${issue.at.column} ${formatPath(issue.path)}: ${issue.message}`);
  if (located.length > MAX_LISTED_ISSUES) lines.push(`… and ${located.length - MAX_LISTED_ISSUES} more`);
  const first = located[0];
  const place: ErrorPlace = { file: source.relPath };
  if (first) Object.assign(place, { line: first.at.line, column: first.at.column, path: formatPath(first.path) });
  const block = opts.block ?? (first ? blockIdAt(source.data, first.path) : undefined);
  if (block !== undefined) place.block = block;
  throw new UserError(lines.join('\n'), place);
}

/** A UserError about the value at `path` in `source`: the message starts with `<file>:<line>:<col> <path>:`. */
export function errorAt(source: YamlSource, path: DataPath, message: string, block?: string): UserError {
  const { line, column } = source.locate(path);
  const shownPath = formatPath(path);
  const place: ErrorPlace = { file: source.relPath, line, column, path: shownPath };
  if (block !== undefined) place.block = block;
  return new UserError(`${source.relPath}:${line}:${column} ${shownPath}: ${message}`, place);
}

function blockIdAt(data: unknown, path: DataPath): string | undefined {
  if (path[0] !== 'blocks' || typeof path[1] !== 'number') return undefined;
  const blocks = (data as { blocks?: unknown } | null)?.blocks;
  const block: unknown = Array.isArray(blocks) ? blocks[path[1]] : undefined;
  const id = (block as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

function toData(doc: Document.Parsed, relPath: string, position: (offset: number) => Position): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof ReferenceError && /^Unresolved alias/.test(error.message)) {
      const name = error.message.replace(/^Unresolved alias \(the anchor must be set before the alias\): /, '');
      const at = position(firstAliasOffset(doc, name));
      throw new UserError(
        `${relPath}:${at.line}:${at.column} invalid YAML: *${name} refers to no anchor (define &${name} before it is used)`,
        { file: relPath, line: at.line, column: at.column },
      );
    }
    if (error instanceof ReferenceError && /excessive alias count/i.test(error.message)) {
      const at = position(firstAliasOffset(doc));
      throw new UserError(
        `${relPath}:${at.line}:${at.column} too many alias expansions (*name references): a file whose aliases expand more than ${MAX_ALIAS_COUNT} times is refused (it looks like a "billion laughs" file)`,
        { file: relPath, line: at.line, column: at.column },
      );
    }
    if (error instanceof RangeError) throw new UserError(`${relPath} is nested too deeply to read`, { file: relPath });
    throw error;
  }
}

/** Offset of the first alias (named `name`, when given). */
function firstAliasOffset(doc: Document.Parsed, name?: string): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      if (name !== undefined && node.source !== name) return undefined;
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function syntaxError(
  error: YAMLError,
  doc: Document.Parsed,
  text: string,
  relPath: string,
  position: (offset: number) => Position,
): UserError {
  const [index] = error.pos;
  let at = position(index);
  let reason = error.message.split(' at line ')[0] ?? error.message;
  if (error.code === 'TAB_AS_INDENT') reason = 'tabs are not allowed as indentation in YAML: indent with spaces';
  if (error.code === 'MULTIPLE_DOCS') reason = 'a project file holds one YAML document: remove the --- separator';
  if (error.code === 'MISSING_CHAR' && /quote/.test(reason)) {
    const opening = openingQuoteBefore(doc, index);
    if (opening !== undefined) {
      at = position(opening);
      reason = 'this quoted text is never closed (add the closing quote)';
    }
  }
  const message = `${relPath}:${at.line}:${at.column} invalid YAML: ${reason}\n${excerpt(text, at)}`;
  return new UserError(message, { file: relPath, line: at.line, column: at.column });
}

/** The line at `at`, shortened around the column, with a caret under it. */
function excerpt(text: string, at: Position): string {
  const line = (text.split('\n')[at.line - 1] ?? '').replace(/\r$/, '').replaceAll('\t', ' ');
  const start = Math.max(0, at.column - 60);
  const shown = `${start > 0 ? '…' : ''}${line.slice(start, start + 100)}`;
  return `  ${shown}\n  ${' '.repeat(at.column - 1 - start + (start > 0 ? 1 : 0))}^`;
}

/** Start of the quoted scalar that runs up to `index` (an unclosed quote is reported at its end by the parser). */
function openingQuoteBefore(doc: Document.Parsed, index: number): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      const range = node.range;
      const isQuoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (isQuoted && range && range[0] < index && range[1] >= index - 1) {
        found = range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function offsetOf(doc: Document.Parsed, path: DataPath): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: unknown } | null | undefined)?.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

/**
 * Refuses text nested deeper than MAX_NESTING before the parser sees it. Counts conservatively (brackets
 * inside quoted text count too) so deep input can never slip through; the parser recurses per level.
 */
function refuseDeepNesting(text: string, relPath: string): void {
  let flowDepth = 0;
  const indents: number[] = [];
  let line = 1;
  for (const raw of text.split('\n')) {
    for (const char of raw) {
      if (char === '[' || char === '{') flowDepth++;
      else if ((char === ']' || char === '}') && flowDepth > 0) flowDepth--;
      if (flowDepth > MAX_NESTING) throw tooDeep(relPath, line);
    }
    const { indent, inlineLevels, isContent } = measureLine(raw);
    if (isContent) {
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
      indents.push(indent);
      if (indents.length + inlineLevels > MAX_NESTING) throw tooDeep(relPath, line);
    }
    line++;
  }
}

/** Indentation, compact nesting (`- - x`, `? `) and whether the line holds more than a comment. */
function measureLine(raw: string): { indent: number; inlineLevels: number; isContent: boolean } {
  let i = 0;
  while (raw.charAt(i) === ' ') i++;
  const indent = i;
  let inlineLevels = 0;
  while ('-?:'.includes(raw.charAt(i) || 'x') && (i + 1 >= raw.length || raw.charAt(i + 1) === ' ' || raw.charAt(i + 1) === '\r')) {
    inlineLevels++;
    i++;
    while (raw.charAt(i) === ' ') i++;
  }
  const rest = raw.slice(i).trim();
  return { indent, inlineLevels, isContent: inlineLevels > 0 || (rest !== '' && !rest.startsWith('#')) };
}

function tooDeep(relPath: string, line: number): UserError {
  return new UserError(`${relPath}:${line} is nested more than ${MAX_NESTING} levels deep; project files are refused past that`, {
    file: relPath,
    line,
  });
}

function tooLarge(relPath: string, bytes: number): UserError {
  const mb = (bytes / 1024 / 1024).toFixed(1);
  return new UserError(`${relPath} is ${mb} MB; project files are limited to ${MAX_PROJECT_FILE_BYTES / 1024 / 1024} MB`, {
    file: relPath,
  });
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
