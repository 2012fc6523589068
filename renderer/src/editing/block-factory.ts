import type { NewBlock, PipelineEdit } from '../../../main/api/contract-views.ts';
import type { PipelineView } from '../api/views.ts';
import type { MethodResult } from '../../../main/api/api-types.ts';
import { toNewBlock } from './inverse-edits.ts';

type Position = { x: number; y: number };

/** One registered block kind, as `kinds.list` describes it. */
export type KindInfo = MethodResult<'kinds.list'>['kinds'][number];

/** `base`, or `base_2`, `base_3`… : the first name no block in `taken` uses. */
export function uniqueBlockId(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const clean =
    base
      .replace(/[^A-Za-z0-9_]/g, '_')
      .replace(/^(\d)/, '_$1')
      .slice(0, 56) || 'block';
  if (!used.has(clean)) return clean;
  for (let n = 2; ; n++) if (!used.has(`${clean}_${n}`)) return `${clean}_${n}`;
}

/** Whether blocks of this type read an upstream block (transforms and exports must have one). */
export function needsUpstream(type: KindInfo['type']): boolean {
  return type === 'transform' || type === 'export';
}

/** The `addBlock` edit for a palette kind named `id`: starter config with that id, connected to `upstream`. */
export function addKindEdit(kind: KindInfo, id: string, upstream: string[], position: Position): PipelineEdit {
  const block: NewBlock = { id, type: kind.type, kind: kind.kind };
  if (needsUpstream(kind.type) && upstream.length > 0) block.upstream = upstream;
  const config = fillBlockId(kind.starterConfig, id) as Record<string, unknown>;
  if (Object.keys(config).length > 0) block.config = config;
  return { op: 'addBlock', block, position };
}

function fillBlockId(value: unknown, id: string): unknown {
  if (typeof value === 'string') return value.replaceAll('{{block_id}}', id);
  if (Array.isArray(value)) return value.map((item) => fillBlockId(item, id));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillBlockId(v, id)]));
  return value;
}

const CLIPBOARD_KEY = 'pipewright.clipboard';

interface ClipboardContent {
  blocks: (NewBlock & { code: string | null })[];
  positions: Record<string, Position>;
}

/** Puts the chosen blocks (spec, code, position) on the app clipboard, shared by every pipeline and window. */
export function copyBlocks(view: PipelineView, ids: string[], positions: Record<string, Position>): number {
  const blocks = view.blocks.filter((b) => ids.includes(b.id)).map((b) => ({ ...toNewBlock(b), code: b.code }));
  const copied: Record<string, Position> = {};
  for (const b of blocks) {
    const at = positions[b.id];
    if (at) copied[b.id] = at;
  }
  const content: ClipboardContent = { blocks, positions: copied };
  localStorage.setItem(CLIPBOARD_KEY, JSON.stringify(content));
  return blocks.length;
}

/**
 * Edits that paste the clipboard into `view`: fresh ids (code files copied under new names), edges among the
 * pasted blocks kept, edges to blocks the target lacks dropped, positions shifted so copies do not hide originals.
 */
export function pasteEdits(view: PipelineView, shown: Record<string, Position> = {}): { edits: PipelineEdit[]; ids: string[] } {
  const raw = localStorage.getItem(CLIPBOARD_KEY);
  if (!raw) return { edits: [], ids: [] };
  const content = JSON.parse(raw) as ClipboardContent;
  const taken = view.blocks.map((b) => b.id);
  const renamed = new Map<string, string>();
  for (const block of content.blocks) {
    const id = uniqueBlockId(block.id, [...taken, ...renamed.values()]);
    renamed.set(block.id, id);
  }
  const offset = freeOffset(Object.values(content.positions), Object.values(shown));
  const edits = content.blocks.map((block): PipelineEdit => {
    const { code, file, ...spec } = block;
    const id = renamed.get(block.id) ?? block.id;
    const upstream = (spec.upstream ?? [])
      .map((up) => renamed.get(up) ?? up)
      .filter((up) => renamed.has(up) || [...renamed.values()].includes(up) || taken.includes(up));
    const at = content.positions[block.id];
    const pasted: NewBlock = { ...spec, id, ...(upstream.length > 0 ? { upstream } : { upstream: undefined }) };
    // A copied code file gets the new block's name, so the copy can be edited on its own.
    if (file !== undefined) pasted.file = code !== null ? `blocks/${id}${/\.[^./]+$/.exec(file)?.[0] ?? ''}` : file;
    return {
      op: 'addBlock',
      block: pasted,
      ...(at ? { position: { x: at.x + offset.x, y: at.y + offset.y } } : {}),
      ...(code !== null ? { code } : {}),
    };
  });
  return { edits, ids: [...renamed.values()] };
}

/** A shift (down, in steps) that puts the pasted blocks where no shown block is. */
function freeOffset(pasted: Position[], taken: Position[]): Position {
  const overlaps = (a: Position, b: Position) => Math.abs(a.x - b.x) < 220 && Math.abs(a.y - b.y) < 84;
  const offset = { x: 40, y: 110 };
  while (offset.y < 20_000 && pasted.some((p) => taken.some((t) => overlaps({ x: p.x + offset.x, y: p.y + offset.y }, t)))) offset.y += 110;
  return offset;
}
