import { z } from 'zod';
import { isMap, isSeq, type Document } from 'yaml';
import { UserError } from '../model/errors.ts';
import { blockConditionSchema, blockSpecSchema, blockTestSchema, retryConfigSchema } from '../model/schema.ts';
import { blockCheckSchema } from '../model/check-schema.ts';
import type { LayoutFile } from '../model/schema.ts';

/**
 * The small edit operations the canvas and the block editor send. They are applied to pipeline.yaml as a
 * `yaml` Document (so comments and key order survive) and to layout.json; the result is validated as a whole.
 */

const id = blockSpecSchema.shape.id;
const position = z.strictObject({ x: z.number().finite(), y: z.number().finite() });

/** A block as the canvas adds it: only the keys given are written (no `upstream: []` noise). */
export const newBlockSchema = blockSpecSchema.extend({
  upstream: z.array(id).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  tests: z.array(blockTestSchema).optional(),
});
export type NewBlock = z.infer<typeof newBlockSchema>;

/** Fields a block update may set; `null` removes an optional field. */
export const blockPatchSchema = z.strictObject({
  config: z.record(z.string(), z.unknown()).optional(),
  description: z.string().nullable().optional(),
  retry: retryConfigSchema.nullable().optional(),
  timeout: z.number().positive().nullable().optional(),
  upstream: z.array(id).optional(),
  file: z.string().min(1).nullable().optional(),
  tests: z.array(blockTestSchema).optional(),
  checks: z.array(blockCheckSchema).nullable().optional(),
  condition: blockConditionSchema.nullable().optional(),
  dynamic: z.boolean().nullable().optional(),
  reduce: z.boolean().nullable().optional(),
  /** New text of the block's code file (written atomically beside the YAML change). */
  code: z
    .string()
    .max(2 * 1024 * 1024)
    .optional(),
});
export type BlockPatch = z.infer<typeof blockPatchSchema>;

export const pipelineEditSchema = z.discriminatedUnion('op', [
  /** Adds a block (at `index` in the file, default the end); `code` seeds its code file when that does not exist. */
  z.strictObject({
    op: z.literal('addBlock'),
    block: newBlockSchema,
    position: position.optional(),
    index: z.number().int().min(0).optional(),
    code: z.string().optional(),
  }),
  /** Removes a block and every edge to it; its code file stays on disk. */
  z.strictObject({ op: z.literal('removeBlock'), blockId: id }),
  z.strictObject({ op: z.literal('connect'), from: id, to: id }),
  z.strictObject({ op: z.literal('disconnect'), from: id, to: id }),
  z.strictObject({ op: z.literal('moveBlocks'), positions: z.record(id, position) }),
  /** Renames a block and every reference to it (upstream lists, layout). */
  z.strictObject({ op: z.literal('renameBlock'), from: id, to: id }),
  z.strictObject({ op: z.literal('updateBlock'), blockId: id, patch: blockPatchSchema }),
  /** Appends one check to a block's `checks:` (the config form's per-column checks); the others and their comments stay. */
  z.strictObject({ op: z.literal('addCheck'), blockId: id, check: blockCheckSchema }),
]);
export type PipelineEdit = z.infer<typeof pipelineEditSchema>;

/** A code file an edit wants written: created only when missing, unless `replace`. */
export interface CodeWrite {
  relPath: string;
  text: string;
  replace: boolean;
}

/** What applying edits produced besides the Document: the new layout and code files to write. */
export interface AppliedEdits {
  layout: LayoutFile;
  codeWrites: CodeWrite[];
}

/** Hooks the writer supplies: where a new block's code goes and what it starts as. */
export interface EditHooks {
  /** The code file and initial text of a new block, or undefined for kinds without code. */
  codeFor(block: NewBlock): { relPath: string; text: string } | undefined;
}

/** Applies `edits` in order to `doc` (mutated) and a copy of `layout`; throws a UserError for an edit that names no block. */
export function applyEdits(doc: Document, layout: LayoutFile, edits: readonly PipelineEdit[], hooks: EditHooks): AppliedEdits {
  const result: AppliedEdits = { layout: { nodes: { ...layout.nodes } }, codeWrites: [] };
  for (const edit of edits) applyOne(doc, result, edit, hooks);
  return result;
}

function applyOne(doc: Document, result: AppliedEdits, edit: PipelineEdit, hooks: EditHooks): void {
  const nodes = result.layout.nodes;
  switch (edit.op) {
    case 'addBlock':
      return addBlock(doc, result, edit, hooks);
    case 'removeBlock': {
      const index = indexOf(doc, edit.blockId);
      doc.deleteIn(['blocks', index]);
      for (const other of blockIds(doc))
        setUpstream(
          doc,
          other,
          upstreamOf(doc, other).filter((up) => up !== edit.blockId),
        );
      delete nodes[edit.blockId];
      return;
    }
    case 'connect': {
      indexOf(doc, edit.from);
      const ups = upstreamOf(doc, edit.to);
      if (!ups.includes(edit.from)) setUpstream(doc, edit.to, [...ups, edit.from]);
      return;
    }
    case 'disconnect':
      indexOf(doc, edit.from);
      return setUpstream(
        doc,
        edit.to,
        upstreamOf(doc, edit.to).filter((up) => up !== edit.from),
      );
    case 'moveBlocks':
      for (const [blockId, at] of Object.entries(edit.positions)) {
        indexOf(doc, blockId);
        nodes[blockId] = { x: Math.round(at.x), y: Math.round(at.y) };
      }
      return;
    case 'renameBlock':
      return renameBlock(doc, result, edit.from, edit.to);
    case 'updateBlock':
      return updateBlock(doc, result, edit.blockId, edit.patch);
    case 'addCheck': {
      const at = ['blocks', indexOf(doc, edit.blockId), 'checks'];
      // `- range: {column: fare, min: 0}`: one line per check, as they are usually written by hand.
      const check = doc.createNode(edit.check);
      for (const pair of check.items) if (isMap(pair.value) || isSeq(pair.value)) pair.value.flow = true;
      if (isSeq(doc.getIn(at, true))) doc.addIn(at, check);
      else doc.setIn(at, doc.createNode([check]));
      return;
    }
  }
}

function addBlock(doc: Document, result: AppliedEdits, edit: Extract<PipelineEdit, { op: 'addBlock' }>, hooks: EditHooks): void {
  if (blockIds(doc).includes(edit.block.id))
    throw new UserError(`a block named ${edit.block.id} already exists in this pipeline: choose another name`, { block: edit.block.id });
  const block: NewBlock = { ...edit.block };
  const code = block.file === undefined ? hooks.codeFor(block) : undefined;
  if (code) block.file = code.relPath;
  if (block.file !== undefined && (edit.code !== undefined || code)) {
    result.codeWrites.push({ relPath: block.file, text: edit.code ?? code?.text ?? '', replace: false });
  }
  const ordered = orderKeys(block);
  const node = doc.createNode(ordered);
  const upstream = node.get('upstream', true);
  if (isSeq(upstream)) upstream.flow = true;
  const blocks = doc.getIn(['blocks'], true);
  if (!isSeq(blocks) || blocks.items.length === 0) {
    // A new pipeline's list starts in block style, as people write it.
    doc.setIn(['blocks'], doc.createNode([ordered]));
    const upstreamNode = doc.getIn(['blocks', 0, 'upstream'], true);
    if (isSeq(upstreamNode)) upstreamNode.flow = true;
  } else {
    blocks.items.splice(Math.min(edit.index ?? blocks.items.length, blocks.items.length), 0, node);
  }
  if (edit.position) result.layout.nodes[block.id] = { x: Math.round(edit.position.x), y: Math.round(edit.position.y) };
}

function renameBlock(doc: Document, result: AppliedEdits, from: string, to: string): void {
  const index = indexOf(doc, from);
  if (from === to) return;
  if (blockIds(doc).includes(to))
    throw new UserError(`a block named ${to} already exists in this pipeline: choose another name`, { block: to });
  doc.setIn(['blocks', index, 'id'], to);
  for (const other of blockIds(doc)) {
    const ups = upstreamOf(doc, other);
    if (ups.includes(from))
      setUpstream(
        doc,
        other,
        ups.map((up) => (up === from ? to : up)),
      );
  }
  const nodes = result.layout.nodes;
  const at = nodes[from];
  if (at) {
    nodes[to] = at;
    delete nodes[from];
  }
}

function updateBlock(doc: Document, result: AppliedEdits, blockId: string, patch: BlockPatch): void {
  const index = indexOf(doc, blockId);
  const { code, config, upstream, ...simple } = patch;
  for (const [key, value] of Object.entries(simple)) {
    if (value === undefined) continue;
    if (value === null) doc.deleteIn(['blocks', index, key]);
    else setChanged(doc, ['blocks', index, key], doc.getIn(['blocks', index, key]), value);
  }
  if (upstream !== undefined) setUpstream(doc, blockId, upstream);
  if (config !== undefined) {
    const current = toPlain(doc.getIn(['blocks', index, 'config']));
    if (Object.keys(config).length === 0) doc.deleteIn(['blocks', index, 'config']);
    else setChanged(doc, ['blocks', index, 'config'], current, config);
  }
  if (code !== undefined) {
    const file = doc.getIn(['blocks', index, 'file']);
    if (typeof file !== 'string') throw new UserError(`block ${blockId} has no code file to save the code to`, { block: blockId });
    result.codeWrites.push({ relPath: file, text: code, replace: true });
  }
}

/** Writes only what changed, key by key inside mappings, so comments on untouched keys stay where they are. */
function setChanged(doc: Document, at: (string | number)[], before: unknown, after: unknown): void {
  const plainBefore = toPlain(before);
  if (isPlainObject(plainBefore) && isPlainObject(after) && isMap(doc.getIn(at, true))) {
    for (const key of Object.keys(plainBefore)) if (!(key in after)) doc.deleteIn([...at, key]);
    for (const [key, value] of Object.entries(after)) setChanged(doc, [...at, key], plainBefore[key], value);
    return;
  }
  if (isDeepEqual(plainBefore, after)) return;
  doc.setIn(at, doc.createNode(after));
}

function setUpstream(doc: Document, blockId: string, upstream: string[]): void {
  const index = indexOf(doc, blockId);
  if (isDeepEqual(upstreamOf(doc, blockId), upstream)) return;
  if (upstream.length === 0) return void doc.deleteIn(['blocks', index, 'upstream']);
  const node = doc.createNode(upstream);
  node.flow = true;
  doc.setIn(['blocks', index, 'upstream'], node);
}

function upstreamOf(doc: Document, blockId: string): string[] {
  const value = toPlain(doc.getIn(['blocks', indexOf(doc, blockId), 'upstream']));
  return Array.isArray(value) ? value.map(String) : [];
}

function blockIds(doc: Document): string[] {
  const blocks = toPlain(doc.get('blocks'));
  return Array.isArray(blocks) ? blocks.map((b) => String((b as { id?: unknown } | null)?.id ?? '')) : [];
}

function indexOf(doc: Document, blockId: string): number {
  const index = blockIds(doc).indexOf(blockId);
  if (index < 0)
    throw new UserError(`no block ${blockId} in this pipeline (it may have been removed by another editor; reload)`, { block: blockId });
  return index;
}

const KEY_ORDER = ['id', 'type', 'kind', 'file', 'upstream', 'description', 'config', 'retry', 'timeout', 'tests', 'checks', 'drift'];

function orderKeys(block: NewBlock): Record<string, unknown> {
  const entries = Object.entries(block).filter(([, value]) => value !== undefined);
  const rank = (key: string) => (KEY_ORDER.includes(key) ? KEY_ORDER.indexOf(key) : KEY_ORDER.length);
  entries.sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(entries.filter(([key, value]) => !(key === 'upstream' && Array.isArray(value) && value.length === 0)));
}

function toPlain(value: unknown): unknown {
  return value !== null && typeof value === 'object' && 'toJSON' in value && typeof value.toJSON === 'function'
    ? (value.toJSON as () => unknown)()
    : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Structural equality of JSON-like values. */
export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => isDeepEqual(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && isDeepEqual(a[key], b[key]));
  }
  return false;
}
