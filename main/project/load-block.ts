import path from 'node:path';
import { UserError } from '../model/errors.ts';
import type { BlockKind } from '../model/block-kind.ts';
import { isRecordReference, referencedVariables, renderConfig } from '../model/templating.ts';
import type { BlockCode, LoadedBlock } from '../model/project.ts';
import type { BlockSpec, BlockType } from '../model/schema.ts';
import { codePathProblem, isProblem, readCodeFile } from './block-files.ts';
import { didYouMean } from './schema-issues.ts';
import { checkSpecProblem } from './check-load.ts';
import { errorAt, validateYaml } from './yaml-file.ts';
import type { DataPath, YamlSource } from './yaml-file.ts';

/** Finds block kinds by type and name (the engine's registry satisfies it). */
export interface KindLookup {
  get(type: BlockType, kind: string): BlockKind | undefined;
  list(): BlockKind[];
}

/** What every block of one pipeline is loaded against. */
export interface BlockLoadContext {
  projectDir: string;
  /** The pipeline.yaml the block is written in. */
  source: YamlSource;
  kinds: KindLookup;
  /** Default variables with built-in placeholders, for rendering templates at load time. */
  variables: Record<string, unknown>;
}

/**
 * Checks one block against its kind and reads its code and test files (as text, never executed); validates
 * its config with the kind's schema after rendering templates. Errors point at the block's lines in pipeline.yaml.
 */
export async function loadBlock(ctx: BlockLoadContext, spec: BlockSpec, index: number): Promise<LoadedBlock> {
  const at: DataPath = ['blocks', index];
  const kind = findKind(ctx, spec, at);
  const loaded: LoadedBlock = { ...spec, testCode: {} };
  const code = await readBlockCode(ctx, kind, spec, at);
  if (code) loaded.code = code;
  for (const [testIndex, test] of spec.tests.entries()) {
    if (!('file' in test)) continue;
    const testAt = [...at, 'tests', testIndex, 'file'];
    if (path.extname(test.file) !== '.ts') throw errorAt(ctx.source, testAt, `a test file must be a .ts file, got ${test.file}`, spec.id);
    loaded.testCode[test.file] = await readOrFail(ctx, test.file, testAt, spec.id);
  }
  validateConfig(ctx, kind, spec, at);
  const checkProblem = checkSpecProblem(spec);
  if (checkProblem) throw errorAt(ctx.source, [...at, ...checkProblem.at], checkProblem.message, spec.id);
  if (code && path.extname(code.relPath) === '.sql') refuseUnknownSqlVariables(ctx, spec, code);
  return loaded;
}

function findKind(ctx: BlockLoadContext, spec: BlockSpec, at: DataPath): BlockKind {
  const kind = ctx.kinds.get(spec.type, spec.kind);
  if (kind) return kind;
  const sameType = ctx.kinds
    .list()
    .filter((k) => k.type === spec.type)
    .map((k) => k.kind);
  const otherType = ctx.kinds.list().find((k) => k.kind === spec.kind);
  const hint = otherType ? ` (${spec.kind} is a ${otherType.type} kind: set type: ${otherType.type})` : didYouMean(spec.kind, sameType);
  const known = sameType.length ? `known ${spec.type} kinds: ${sameType.join(', ')}` : `no ${spec.type} kinds are installed`;
  throw errorAt(ctx.source, [...at, 'kind'], `unknown ${spec.type} kind '${spec.kind}'${hint}; ${known}`, spec.id);
}

async function readBlockCode(ctx: BlockLoadContext, kind: BlockKind, spec: BlockSpec, at: DataPath): Promise<BlockCode | undefined> {
  const name = `${kind.type}/${kind.kind}`;
  const extension = kind.codeExtension ?? '';
  if (spec.file === undefined) {
    if (kind.code !== 'required') return undefined;
    throw errorAt(ctx.source, at, `a ${name} block needs a code file: add file: blocks/${spec.id}${extension}`, spec.id);
  }
  const fileAt = [...at, 'file'];
  if (kind.code === 'none') throw errorAt(ctx.source, fileAt, `a ${name} block takes no code file: remove file:`, spec.id);
  const pathProblem = codePathProblem(ctx.projectDir, spec.file);
  if (pathProblem) throw errorAt(ctx.source, fileAt, `block ${spec.id}: ${pathProblem}`, spec.id);
  if (extension && path.extname(spec.file) !== extension) {
    throw errorAt(ctx.source, fileAt, `a ${name} block needs a ${extension} file, got ${spec.file}`, spec.id);
  }
  return readOrFail(ctx, spec.file, fileAt, spec.id);
}

async function readOrFail(ctx: BlockLoadContext, relPath: string, at: DataPath, block: string): Promise<BlockCode> {
  const result = await readCodeFile(ctx.projectDir, relPath);
  if (isProblem(result)) throw errorAt(ctx.source, at, `block ${block}: ${result.problem}`, block);
  return result;
}

/** Renders the config's templates with load-time variables, then validates it with the kind's schema. */
function validateConfig(ctx: BlockLoadContext, kind: BlockKind, spec: BlockSpec, at: DataPath): void {
  const configAt = [...at, 'config'];
  let rendered: unknown;
  try {
    rendered = renderConfig(spec.config, ctx.variables, { missingEnv: 'placeholder' });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const where = failingTemplatePath(spec.config, ctx.variables) ?? [];
    throw errorAt(ctx.source, [...configAt, ...where], error.message, spec.id);
  }
  if (onlyItemFieldsFail(kind, spec.config, rendered, ctx.variables)) return;
  validateYaml(ctx.source, kind.configSchema, { at: configAt, data: rendered, block: spec.id });
}

/**
 * Whether every schema problem sits on a value that is exactly `{{ item.<column> }}`: a dynamic child's item keeps its
 * column's type (a number stays a number), which only the run knows, so those values are checked when the child runs.
 */
function onlyItemFieldsFail(kind: BlockKind, raw: unknown, rendered: unknown, variables: Record<string, unknown>): boolean {
  const parsed = kind.configSchema.safeParse(rendered);
  if (parsed.success) return false;
  return parsed.error.issues.every((issue) => {
    let value: unknown = raw;
    for (const key of issue.path)
      value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    const whole = typeof value === 'string' ? /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(value) : null;
    return whole?.[1] !== undefined && isRecordReference(whole[1], variables);
  });
}

/** The path of the first string in `config` whose template does not render (renderConfig does not say). */
function failingTemplatePath(value: unknown, variables: Record<string, unknown>): DataPath | undefined {
  if (typeof value === 'string') {
    try {
      renderConfig(value, variables, { missingEnv: 'placeholder' });
      return undefined;
    } catch {
      return []; // the caller reports renderConfig's own error; here only its place is wanted
    }
  }
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, i): [number, unknown] => [i, item])
    : value !== null && typeof value === 'object'
      ? Object.entries(value)
      : [];
  for (const [key, item] of entries) {
    const inner = failingTemplatePath(item, variables);
    if (inner) return [key, ...inner];
  }
  return undefined;
}

/** SQL is rendered with `{{ name }}` at run time: an unknown name is caught now, at its line in the .sql file. */
function refuseUnknownSqlVariables(ctx: BlockLoadContext, spec: BlockSpec, code: BlockCode): void {
  const unknown = referencedVariables(code.text).find(
    (name) => !name.startsWith('env.') && !Object.hasOwn(ctx.variables, name) && !isRecordReference(name, ctx.variables),
  );
  if (unknown === undefined) return;
  const offset = code.text.search(new RegExp(`\\{\\{\\s*${unknown}\\s*\\}\\}`));
  const before = code.text.slice(0, Math.max(offset, 0)).split('\n');
  const line = before.length;
  const column = (before.at(-1)?.length ?? 0) + 1;
  const known = Object.keys(ctx.variables).sort().join(', ');
  throw new UserError(`${code.relPath}:${line}:${column} unknown variable '${unknown}' in {{ ${unknown} }}; known variables: ${known}`, {
    block: spec.id,
    file: code.relPath,
    line,
    column,
  });
}
