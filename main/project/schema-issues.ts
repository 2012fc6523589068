import type { z } from 'zod';

/**
 * Turns zod issues into short messages a data engineer can act on: what was expected, what was found,
 * and for unknown keys the closest known key. Unions are reported through their closest branch.
 */

export type DataPath = readonly (string | number)[];

/** One problem, with its path relative to the validated value. */
export interface DescribedIssue {
  path: DataPath;
  message: string;
}

type Issue = z.core.$ZodIssue;

/** Describes each issue (unknown keys one per key); `data` is the validated value, used to say what was found. */
export function describeIssues(issues: readonly Issue[], schema: z.ZodType, data: unknown): DescribedIssue[] {
  return issues.flatMap((issue) => describeIssue(issue, [], schema, data));
}

/** A path as a data engineer reads it: `blocks[2].config.url`; `(top level)` when empty. */
export function formatPath(path: DataPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text || '(top level)';
}

/** The candidate closest to `name` by edit distance, when it is close enough to be a likely typo. */
export function suggestClosest(name: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  const allowed = Math.max(1, Math.floor(name.length / 3));
  return best && best.distance <= allowed ? best.candidate : undefined;
}

/** `, did you mean 'x'?` or an empty string. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const suggestion = suggestClosest(name, candidates);
  return suggestion === undefined ? '' : `, did you mean '${suggestion}'?`;
}

/** Describes a value briefly for "got …" parts of messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value (null)';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return 'a list';
  return 'a mapping (key: value pairs)';
}

function describeIssue(issue: Issue, prefix: DataPath, schema: z.ZodType, data: unknown): DescribedIssue[] {
  const path: DataPath = [...prefix, ...issue.path.map(toSegment)];
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key '${key}'${didYouMean(key, known) || (known.length ? ` (known keys: ${known.join(', ')})` : '')}`,
      }));
    }
    case 'invalid_union':
      return describeUnion(issue, path, schema, data);
    case 'invalid_type':
      return [
        {
          path,
          message:
            value === undefined
              ? `required: expected ${expectedText(issue.expected)}`
              : `expected ${expectedText(issue.expected)}, got ${describeValue(value)}`,
        },
      ];
    case 'invalid_value': {
      const options = issue.values.map((v) => String(v));
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return [{ path, message: `expected one of ${options.join(', ')}, got ${describeValue(value)}${hint}` }];
    }
    case 'too_small':
    case 'too_big':
      return [{ path, message: isDefaultMessage(issue.message) ? sizeMessage(issue, value) : issue.message }];
    case 'invalid_key':
      return [{ path, message: `invalid name '${String(issue.path.at(-1))}': ${issue.issues.map((i) => i.message).join('; ')}` }];
    case 'invalid_format':
    case 'custom':
      return [{ path, message: `${issue.message}, got ${describeValue(value)}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/**
 * Reports a union through the branch that came closest: a branch whose issues are all deeper than the value
 * itself beats one that rejects the value's type; fewer issues win ties. When every branch rejects the type,
 * says which types would do.
 */
function describeUnion(issue: z.core.$ZodIssueInvalidUnion, path: DataPath, schema: z.ZodType, data: unknown): DescribedIssue[] {
  const branches = issue.errors.filter((branch) => branch.length > 0);
  const fitting = branches.filter((branch) => !branch.some(rejectsTypeAtRoot));
  if (fitting.length === 0) {
    const expected = [...new Set(issue.errors.flatMap(rootExpectations))];
    const value = valueAt(data, path);
    return [{ path, message: `expected ${expected.map(expectedText).join(' or ') || 'another value'}, got ${describeValue(value)}` }];
  }
  const closest = fitting.reduce((best, branch) => (branch.length < best.length ? branch : best));
  return closest.flatMap((inner) => describeIssue(inner, path, schema, data));
}

function rejectsTypeAtRoot(issue: Issue): boolean {
  if (issue.path.length > 0) return false;
  if (issue.code === 'invalid_type') return true;
  return issue.code === 'invalid_union' && issue.errors.every((branch) => branch.some(rejectsTypeAtRoot));
}

function rootExpectations(branch: readonly Issue[]): string[] {
  return branch.flatMap((issue) => {
    if (issue.path.length > 0) return [];
    if (issue.code === 'invalid_type') return [issue.expected];
    if (issue.code === 'invalid_union') return issue.errors.flatMap(rootExpectations);
    return [];
  });
}

const EXPECTED_TEXT: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  null: 'an empty value (null)',
  object: 'a mapping (key: value pairs)',
  record: 'a mapping (key: value pairs)',
  array: 'a list',
};

function expectedText(expected: string): string {
  return EXPECTED_TEXT[expected] ?? expected;
}

function isDefaultMessage(message: string): boolean {
  return message.startsWith('Too small') || message.startsWith('Too big');
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, value: unknown): string {
  const isMin = issue.code === 'too_small';
  const bound = String(isMin ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  const inclusive = issue.inclusive !== false;
  const got = `, got ${describeValue(value)}`;
  switch (issue.origin) {
    case 'string':
      return `expected ${isMin ? 'at least' : 'at most'} ${bound} characters${got}`;
    case 'array':
    case 'set':
      return `expected ${isMin ? 'at least' : 'at most'} ${bound} item${bound === '1' ? '' : 's'}, got ${Array.isArray(value) ? value.length : 'none'}`;
    default:
      return `expected a value ${isMin ? '>' : '<'}${inclusive ? '=' : ''} ${bound}${got}`;
  }
}

function toSegment(key: PropertyKey): string | number {
  return typeof key === 'number' ? key : String(key);
}

function valueAt(data: unknown, path: DataPath): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Just enough of zod's internal definition to walk a schema by path (zod 4 `_zod.def`). */
interface SchemaNode {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, SchemaNode>;
      innerType?: SchemaNode;
      in?: SchemaNode;
      options?: SchemaNode[];
      element?: SchemaNode;
      valueType?: SchemaNode;
      getter?: () => SchemaNode;
    };
  };
}

/** Keys the object schema(s) at `path` accept; a union contributes every branch's keys. */
function knownKeysAt(schema: z.ZodType, path: DataPath): string[] {
  let nodes = variantsOf(schema as unknown as SchemaNode);
  for (const segment of path) nodes = nodes.flatMap((node) => childOf(node, segment)).flatMap(variantsOf);
  return [...new Set(nodes.flatMap((node) => Object.keys(node._zod.def.shape ?? {})))];
}

function variantsOf(node: SchemaNode, depth = 0): SchemaNode[] {
  if (depth > 20) return [];
  const def = node._zod.def;
  if (def.options) return def.options.flatMap((option) => variantsOf(option, depth + 1));
  const inner = def.innerType ?? def.in ?? def.getter?.();
  if (inner && def.type !== 'object') return variantsOf(inner, depth + 1);
  return [node];
}

function childOf(node: SchemaNode, segment: string | number): SchemaNode[] {
  const def = node._zod.def;
  if (def.type === 'object') {
    const child = def.shape?.[String(segment)];
    return child ? [child] : [];
  }
  if (def.type === 'array' && def.element) return [def.element];
  if (def.type === 'record' && def.valueType) return [def.valueType];
  return [];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
