import path from 'node:path';
import { UserError } from '../model/errors.ts';
import { validateGraph } from '../model/plan.ts';
import { builtinVariablePlaceholders } from '../model/templating.ts';
import { hashBlockCode, sha256 } from './hash.ts';
import { loadBlock } from './load-block.ts';
import type { KindLookup } from './load-block.ts';
import { PIPELINE_FILE, isPipelineId, listPipelineIds } from './load-project.ts';
import type { LoadedBlock, Pipeline, Project } from '../model/project.ts';
import { layoutFileSchema, pipelineFileSchema } from '../model/schema.ts';
import type { LayoutFile, PipelineFile } from '../model/schema.ts';
import { formatPath } from './schema-issues.ts';
import { engineOf } from '../model/block-engine.ts';
import { findEngineCrossing, findWarehouseOnlyProblem } from '../model/engine-edges.ts';
import { readYamlFile, validateYaml } from './yaml-file.ts';
import type { DataPath, YamlSource } from './yaml-file.ts';

export type { KindLookup } from './load-block.ts';

const LAYOUT_FILE = 'layout.json';

/** Loads and fully validates one pipeline: schema, block kinds and configs, code files, graph. Never executes code. */
export async function loadPipeline(project: Project, pipelineId: string, kinds: KindLookup): Promise<Pipeline> {
  // 1. pipeline.yaml against the file schema.
  const source = await readPipelineSource(project, pipelineId);
  const spec = validateYaml(source, pipelineFileSchema);
  // 2. The canvas layout beside it, when there is one.
  const layout = await readLayout(project, pipelineId);
  // 3. Block ids are unique (reported with both places before anything refers to them).
  refuseDuplicateIds(source, spec);
  // 4. Each block against its kind: code and test files read, config rendered and validated.
  const blocks = await loadBlocks(project, source, spec, kinds);
  // 5. The graph: upstream names, cycles, disconnected transforms and exports.
  checkGraph(source, blocks);
  // 6. Where SQL runs: no edge moves data between engines without a transfer block.
  checkEngines(project, source, spec, blocks);
  return {
    id: pipelineId,
    file: source.absPath,
    spec,
    blocks,
    layout,
    pipelineHash: sha256(source.text),
    codeHash: hashBlockCode(blocks),
  };
}

/**
 * Each block of `spec` against its kind, as loading and the edit validator both check it: variables are the built-ins
 * and the declared defaults, plus the `item` placeholder for children of a dynamic block.
 */
export async function loadBlocks(project: Project, source: YamlSource, spec: PipelineFile, kinds: KindLookup): Promise<LoadedBlock[]> {
  const variables = { ...builtinVariablePlaceholders(), ...defaultVariables(spec) };
  const context = { projectDir: project.dir, source, kinds, variables };
  const dynamicIds = new Set(spec.blocks.filter((b) => b.dynamic).map((b) => b.id));
  const blocks: LoadedBlock[] = [];
  for (const [index, block] of spec.blocks.entries()) {
    // Children of a dynamic block read `{{ item.<column> }}`; the columns are known only when it has run.
    const isChild = block.upstream.some((up) => dynamicIds.has(up));
    const loaded = await loadBlock(isChild ? { ...context, variables: { ...variables, item: {} } } : context, block, index);
    // The pipeline's default engine is resolved here, so the engine and planner read one field.
    const engine = engineOf(block, spec);
    const connection = block.connection ?? spec.connection;
    blocks.push(engine === undefined || engine === 'duckdb' ? loaded : { ...loaded, engine, ...(connection ? { connection } : {}) });
  }
  return blocks;
}

/** The pipeline's declared variable defaults: `name: value` or `name: { default: value, description }`. */
export function defaultVariables(spec: PipelineFile): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(spec.variables).map(([name, variable]) => [
      name,
      variable !== null && typeof variable === 'object' ? variable.default : variable,
    ]),
  );
}

/** `pipelines/<id>/<file>` relative to the project root, with forward slashes as the user writes it. */
export function pipelineRelPath(pipelineId: string, file: string): string {
  return path.posix.join('pipelines', pipelineId, file);
}

async function readPipelineSource(project: Project, pipelineId: string): Promise<YamlSource> {
  if (!isPipelineId(pipelineId)) {
    throw new UserError(
      `'${pipelineId}' is not a pipeline id: use letters, digits and _ (not starting with a digit), at most 63 characters`,
    );
  }
  const relPath = pipelineRelPath(pipelineId, PIPELINE_FILE);
  const source = await readYamlFile(path.join(project.dir, relPath), relPath);
  if (source) return source;
  const known = await listPipelineIds(project.dir);
  throw new UserError(`no pipeline '${pipelineId}': ${relPath} does not exist; pipelines: ${known.join(', ') || 'none yet'}`, {
    file: relPath,
  });
}

async function readLayout(project: Project, pipelineId: string): Promise<LayoutFile> {
  const relPath = pipelineRelPath(pipelineId, LAYOUT_FILE);
  const source = await readYamlFile(path.join(project.dir, relPath), relPath);
  if (!source) return { nodes: {} };
  return validateYaml(source, layoutFileSchema);
}

function refuseDuplicateIds(source: YamlSource, spec: PipelineFile): void {
  const firstIndex = new Map<string, number>();
  for (const [index, block] of spec.blocks.entries()) {
    const earlier = firstIndex.get(block.id);
    if (earlier === undefined) {
      firstIndex.set(block.id, index);
      continue;
    }
    const first = source.locate(['blocks', earlier, 'id']);
    const second = source.locate(['blocks', index, 'id']);
    const message = `duplicate block id '${block.id}': blocks[${earlier}] (line ${first.line}) and blocks[${index}] (line ${second.line}) both use it; block ids must be unique`;
    throw withLocation(source, ['blocks', index, 'id'], new UserError(message, { block: block.id }));
  }
}

/** Runs the engine's graph checks and points their errors at the named block's `upstream:` in the file. */
function checkGraph(source: YamlSource, blocks: readonly LoadedBlock[]): void {
  try {
    validateGraph(blocks);
  } catch (error) {
    if (!(error instanceof UserError) || error.place.block === undefined) throw error;
    const index = blocks.findIndex((b) => b.id === error.place.block);
    if (index < 0) throw error;
    const ids = new Set(blocks.map((b) => b.id));
    const unknownUpstream = blocks[index]?.upstream.findIndex((up) => !ids.has(up)) ?? -1;
    const at: DataPath = unknownUpstream >= 0 ? ['blocks', index, 'upstream', unknownUpstream] : ['blocks', index, 'upstream'];
    throw withLocation(source, at, error);
  }
}

/** Refuses the first edge that crosses engines without a transfer, at that entry of the block's `upstream:`. */
export function checkEngines(project: Project, source: YamlSource, spec: PipelineFile, blocks: readonly LoadedBlock[]): void {
  const unsupported = findWarehouseOnlyProblem(blocks);
  if (unsupported)
    throw withLocation(
      source,
      ['blocks', unsupported.blockIndex, ...unsupported.at],
      new UserError(unsupported.message, { block: unsupported.block }),
    );
  const problem = findEngineCrossing(blocks, spec, project.settings);
  if (!problem) return;
  throw withLocation(
    source,
    ['blocks', problem.blockIndex, 'upstream', problem.upstreamIndex],
    new UserError(problem.message, { block: problem.block }),
  );
}

/** The same error, its message prefixed with `<file>:<line>:<col>` and its place completed from `at`. */
function withLocation(source: YamlSource, at: DataPath, error: UserError): UserError {
  const { line, column } = source.locate(at);
  const place = { ...error.place, file: source.relPath, line, column, path: formatPath(at) };
  return new UserError(`${source.relPath}:${line}:${column} ${error.message}`, place, { cause: error });
}
