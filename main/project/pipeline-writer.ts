import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, stringify, type Document } from 'yaml';
import { UserError } from '../model/errors.ts';
import { validateGraph } from '../model/plan.ts';
import { codePathProblem } from './block-files.ts';
import { starterCode } from './block-templates.ts';
import { sha256 } from './hash.ts';
import type { KindLookup } from './load-block.ts';
import { checkEngines, loadBlocks, pipelineRelPath } from './load-pipeline.ts';
import { PIPELINE_FILE, isPipelineId } from './load-project.ts';
import type { Project } from '../model/project.ts';
import { applyEdits, isDeepEqual, type CodeWrite, type NewBlock, type PipelineEdit } from './pipeline-edits.ts';
import { patchText } from './text-patch.ts';
import { layoutFileSchema, pipelineFileSchema, type LayoutFile } from '../model/schema.ts';
import { parseYamlText, validateYaml } from './yaml-file.ts';

const LAYOUT_FILE = 'layout.json';
const PRINT_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

/** Another editor (window, text editor, git) changed the files since the caller read them. */
export class ConflictError extends UserError {}

/** The texts a pipeline's version is computed from, as read in one go. */
interface PipelineTexts {
  yamlPath: string;
  layoutPath: string;
  yaml: string | undefined;
  layout: string | undefined;
  version: string;
}

/** The version of a pipeline: a hash over pipeline.yaml and layout.json, as they are on disk now. */
export async function readPipelineVersion(projectDir: string, pipelineId: string): Promise<string> {
  return (await readTexts(projectDir, pipelineId)).version;
}

/**
 * Applies `edits` to a pipeline's files: checks `expectedVersion`, edits pipeline.yaml through the `yaml` Document
 * API (comments and key order kept) and layout.json, validates the result as the loader would, and only then
 * writes (each file replaced atomically). A refused edit writes nothing. Resolves to the new version.
 */
export async function updatePipeline(args: {
  project: Project;
  pipelineId: string;
  expectedVersion: string;
  edits: readonly PipelineEdit[];
  kinds: KindLookup;
}): Promise<{ version: string; files: Record<string, string> }> {
  return serialised(`${args.project.dir}/${args.pipelineId}`, async () => {
    // 1. The files as they are now; someone else's change since the caller read them is a conflict.
    const texts = await readTexts(args.project.dir, args.pipelineId);
    if (texts.yaml === undefined)
      throw new UserError(`no pipeline '${args.pipelineId}': ${pipelineRelPath(args.pipelineId, PIPELINE_FILE)} does not exist`);
    if (texts.version !== args.expectedVersion) {
      throw new ConflictError(`pipeline ${args.pipelineId} changed on disk by another editor; reload to see the change, then edit again`);
    }
    return writeEdited(args, texts, texts.yaml);
  });
}

/** Creates `pipelines/<id>/pipeline.yaml` named `name` with the blocks `edits` add (a pipeline needs at least one). */
export async function createPipeline(args: {
  project: Project;
  pipelineId: string;
  name: string;
  edits: readonly PipelineEdit[];
  kinds: KindLookup;
}): Promise<{ version: string; files: Record<string, string> }> {
  if (!isPipelineId(args.pipelineId))
    throw new UserError(`'${args.pipelineId}' is not a pipeline id: use letters, digits and _ (not starting with a digit)`);
  return serialised(`${args.project.dir}/${args.pipelineId}`, async () => {
    const texts = await readTexts(args.project.dir, args.pipelineId);
    if (texts.yaml !== undefined) throw new ConflictError(`a pipeline named ${args.pipelineId} already exists: choose another name`);
    const start = stringify({ name: args.name });
    return writeEdited(args, texts, start);
  });
}

async function writeEdited(
  args: { project: Project; pipelineId: string; edits: readonly PipelineEdit[]; kinds: KindLookup },
  texts: PipelineTexts,
  yamlText: string,
): Promise<{ version: string; files: Record<string, string> }> {
  const relPath = pipelineRelPath(args.pipelineId, PIPELINE_FILE);
  // 2. Parse what is there; a file broken on disk is reported with its line and is not overwritten.
  parseYamlText(yamlText, texts.yamlPath, relPath);
  const doc = parseDocument(yamlText);
  const layout = texts.layout === undefined ? { nodes: {} } : parseLayout(texts.layout);
  // 3. Apply the edits in memory.
  const printed = doc.toString(PRINT_OPTIONS);
  const takenFiles = await filesInUse(args.project.dir, doc);
  const applied = applyEdits(doc, layout, args.edits, { codeFor: (block) => codeFor(args.kinds, block, takenFiles, exportIdsIn(doc)) });
  // Only the lines the edits touched change: the rest stays as the user wrote it (a layout-only edit writes no YAML).
  const nextYaml = keepFormatting(yamlText, printed, doc);
  const nextLayout = `${JSON.stringify(layoutFileSchema.parse(applied.layout), null, 2)}\n`;
  // 4. New code files exist before validation (the loader reads them) and are removed again on refusal.
  const created = await createMissingCode(args.project.dir, applied.codeWrites);
  try {
    await validateCandidate(args.project, args.kinds, texts.yamlPath, relPath, nextYaml);
  } catch (error) {
    await Promise.all(created.map((file) => rm(file, { force: true })));
    throw error;
  }
  // 5. Write: code files replaced by the edits, then layout and pipeline.yaml, each atomically.
  for (const write of applied.codeWrites.filter((w) => w.replace))
    await writeAtomically(path.join(args.project.dir, write.relPath), write.text);
  await mkdir(path.dirname(texts.yamlPath), { recursive: true });
  if (nextLayout !== texts.layout && (texts.layout !== undefined || Object.keys(applied.layout.nodes).length > 0)) {
    await writeAtomically(texts.layoutPath, nextLayout);
  }
  if (nextYaml !== texts.yaml) await writeAtomically(texts.yamlPath, nextYaml);
  return { version: (await readTexts(args.project.dir, args.pipelineId)).version, files: addedFiles(doc, args.edits) };
}

/** The edited Document as a patch of the user's text; the plain print if the patch would not read back the same. */
function keepFormatting(yamlText: string, printed: string, doc: Document): string {
  const edited = doc.toString(PRINT_OPTIONS);
  const patched = patchText(yamlText, printed, edited);
  // A guard, not an expected path: the merge must never change what the file says.
  return isDeepEqual(parseDocument(patched).toJS(), doc.toJS()) ? patched : edited;
}

/** The code file each added block got (`addBlock` without a `file`): a redo then re-adds the block with that file. */
function addedFiles(doc: Document, edits: readonly PipelineEdit[]): Record<string, string> {
  const files: Record<string, string> = {};
  const blocks = doc.toJS() as { blocks?: { id?: unknown; file?: unknown }[] };
  for (const edit of edits) {
    if (edit.op !== 'addBlock' || edit.block.file !== undefined) continue;
    const file = blocks.blocks?.find((b) => b.id === edit.block.id)?.file;
    if (typeof file === 'string') files[edit.block.id] = file;
  }
  return files;
}

/** Code files a new block must not take: those other blocks of this pipeline name, and those already in blocks/. */
async function filesInUse(projectDir: string, doc: Document): Promise<Set<string>> {
  const taken = new Set<string>();
  const blocks = (doc.toJS() as { blocks?: { file?: unknown }[] } | null)?.blocks ?? [];
  for (const block of blocks) if (typeof block?.file === 'string') taken.add(path.posix.normalize(block.file));
  const entries = await readdir(path.join(projectDir, 'blocks')).catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw error;
  });
  for (const name of entries) taken.add(`blocks/${name}`);
  return taken;
}

/** The checks loadPipeline makes, on text not yet written: file schema, graph (cycles, upstream), each block. */
async function validateCandidate(project: Project, kinds: KindLookup, absPath: string, relPath: string, text: string): Promise<void> {
  const source = parseYamlText(text, absPath, relPath);
  const spec = validateYaml(source, pipelineFileSchema);
  validateGraph(spec.blocks);
  checkEngines(project, source, spec, await loadBlocks(project, source, spec, kinds));
}

/**
 * A new block's code file: `blocks/<id>.<ext>`, or `<id>_2`, `<id>_3`… when that file exists or another block names
 * it (a renamed block keeps its file, and a new block must not silently share it). Its starter code reads its first
 * upstream block that has an output (exports have none).
 */
function codeFor(
  kinds: KindLookup,
  block: NewBlock,
  taken: Set<string>,
  exportIds: ReadonlySet<string>,
): { relPath: string; text: string } | undefined {
  const kind = kinds.get(block.type, block.kind);
  if (!kind || kind.code !== 'required' || !kind.codeExtension) return undefined;
  let relPath = `blocks/${block.id}${kind.codeExtension}`;
  for (let n = 2; taken.has(relPath); n++) relPath = `blocks/${block.id}_${n}${kind.codeExtension}`;
  taken.add(relPath);
  const readable = (block.upstream ?? []).filter((id) => !exportIds.has(id));
  return { relPath, text: starterCode(kind, block.id, readable) };
}

/** Ids of the export blocks in the pipeline document as edited so far. */
function exportIdsIn(doc: Document): Set<string> {
  const blocks = (doc.toJS() as { blocks?: unknown } | null)?.blocks;
  const list = Array.isArray(blocks) ? (blocks as { id?: unknown; type?: unknown }[]) : [];
  return new Set(list.filter((b) => b?.type === 'export').map((b) => String(b.id)));
}

/** Writes the code files that do not exist yet; resolves to the absolute paths it created. */
async function createMissingCode(projectDir: string, writes: readonly CodeWrite[]): Promise<string[]> {
  const created: string[] = [];
  for (const write of writes) {
    const problem = codePathProblem(projectDir, write.relPath);
    if (problem) throw new UserError(problem, { file: write.relPath });
    const absPath = path.join(projectDir, write.relPath);
    if (write.replace || (await exists(absPath))) continue;
    await mkdir(path.dirname(absPath), { recursive: true });
    await writeAtomically(absPath, write.text);
    created.push(absPath);
  }
  return created;
}

function parseLayout(text: string): LayoutFile {
  try {
    return layoutFileSchema.parse(JSON.parse(text));
  } catch {
    // A broken layout.json only costs positions: the canvas lays those blocks out again.
    return { nodes: {} };
  }
}

async function readTexts(projectDir: string, pipelineId: string): Promise<PipelineTexts> {
  const yamlPath = path.join(projectDir, pipelineRelPath(pipelineId, PIPELINE_FILE));
  const layoutPath = path.join(projectDir, pipelineRelPath(pipelineId, LAYOUT_FILE));
  const [yaml, layout] = await Promise.all([readIfExists(yamlPath), readIfExists(layoutPath)]);
  return { yamlPath, layoutPath, yaml, layout, version: sha256(`${yaml ?? ''}\u0000${layout ?? ''}`).slice(0, 20) };
}

async function readIfExists(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Replaces `file` by writing a temp file beside it and renaming it over: readers see the old or the new text, never half. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, 'utf8');
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

const queues = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier call with the same key has settled: one writer per pipeline in this process. */
function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  queues.set(key, next);
  void next
    .catch(() => undefined)
    .finally(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
  return next;
}
