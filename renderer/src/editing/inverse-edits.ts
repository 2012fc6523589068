import type { NewBlock, PipelineEdit } from '../../../main/api/contract-views.ts';
import type { PipelineView } from '../api/views.ts';

type Position = { x: number; y: number };
/** A block as the editor tracks it between edits: its spec plus its code text. */
type ModelBlock = NewBlock & { code?: string | null };
interface Model {
  blocks: ModelBlock[];
  positions: Record<string, Position>;
}

/**
 * The edits that undo `edits` when applied after them. Each edit's inverse is computed against the pipeline as
 * it is at that point of the batch (simulated from `view`), so batches whose edits build on each other undo too.
 * `shown` holds the canvas positions of blocks that have none in layout.json.
 */
export function inverseOf(view: PipelineView, edits: readonly PipelineEdit[], shown: Record<string, Position>): PipelineEdit[] {
  const model = modelOf(view, shown);
  const inverses: PipelineEdit[][] = [];
  for (const edit of edits) {
    inverses.push(invertOne(model, edit));
    simulate(model, edit);
  }
  return inverses.reverse().flat();
}

/** A block of the view as an `addBlock` payload (the keys its spec has, defaults left out). */
export function toNewBlock(block: PipelineView['blocks'][number]): NewBlock {
  // `code` and `testCode` come from the loader, not from pipeline.yaml.
  const {
    code: _code,
    testCode: _testCode,
    upstream,
    config,
    tests,
    ...rest
  } = block as PipelineView['blocks'][number] & { testCode?: unknown };
  const spec: NewBlock = { ...rest };
  if (upstream.length > 0) spec.upstream = [...upstream];
  if (Object.keys(config).length > 0) spec.config = config;
  if (tests.length > 0) spec.tests = tests;
  return spec;
}

function modelOf(view: PipelineView, shown: Record<string, Position>): Model {
  const blocks = view.blocks.map((b) => ({ ...toNewBlock(b), code: b.code }));
  const positions: Record<string, Position> = { ...shown, ...view.layout.nodes };
  return { blocks, positions };
}

function invertOne(model: Model, edit: PipelineEdit): PipelineEdit[] {
  const find = (id: string) => model.blocks.find((b) => b.id === id);
  const upstreamOf = (id: string) => [...(find(id)?.upstream ?? [])];
  switch (edit.op) {
    case 'addBlock':
      return [{ op: 'removeBlock', blockId: edit.block.id }];
    case 'removeBlock': {
      const index = model.blocks.findIndex((b) => b.id === edit.blockId);
      const block = model.blocks[index];
      if (!block) return [];
      const { code, ...spec } = block;
      const position = model.positions[edit.blockId];
      const restore: PipelineEdit = {
        op: 'addBlock',
        block: spec,
        index,
        ...(position ? { position } : {}),
        ...(typeof code === 'string' ? { code } : {}),
      };
      const downstream = model.blocks.filter((b) => b.upstream?.includes(edit.blockId));
      return [
        restore,
        ...downstream.map((b): PipelineEdit => ({ op: 'updateBlock', blockId: b.id, patch: { upstream: upstreamOf(b.id) } })),
      ];
    }
    case 'connect':
    case 'disconnect':
      return [{ op: 'updateBlock', blockId: edit.to, patch: { upstream: upstreamOf(edit.to) } }];
    case 'moveBlocks': {
      const positions = Object.fromEntries(
        Object.keys(edit.positions).flatMap((id) => (model.positions[id] ? [[id, model.positions[id]]] : [])),
      );
      return Object.keys(positions).length > 0 ? [{ op: 'moveBlocks', positions }] : [];
    }
    case 'renameBlock':
      return [{ op: 'renameBlock', from: edit.to, to: edit.from }];
    case 'updateBlock': {
      const block = find(edit.blockId);
      if (!block) return [];
      const patch: Record<string, unknown> = {};
      for (const key of Object.keys(edit.patch)) {
        if (key === 'code') patch.code = block.code ?? '';
        else if (key === 'config' || key === 'upstream' || key === 'tests') patch[key] = block[key] ?? (key === 'config' ? {} : []);
        else patch[key] = block[key as keyof ModelBlock] ?? null;
      }
      return [{ op: 'updateBlock', blockId: edit.blockId, patch }];
    }
    case 'addCheck':
      return [{ op: 'updateBlock', blockId: edit.blockId, patch: { checks: find(edit.blockId)?.checks ?? null } }];
  }
}

function simulate(model: Model, edit: PipelineEdit): void {
  const find = (id: string) => model.blocks.find((b) => b.id === id);
  switch (edit.op) {
    case 'addBlock':
      model.blocks.splice(edit.index ?? model.blocks.length, 0, { ...edit.block, code: edit.code ?? null });
      if (edit.position) model.positions[edit.block.id] = edit.position;
      return;
    case 'removeBlock':
      model.blocks = model.blocks.filter((b) => b.id !== edit.blockId);
      for (const b of model.blocks) b.upstream = b.upstream?.filter((up) => up !== edit.blockId);
      return;
    case 'connect': {
      const to = find(edit.to);
      if (to && !to.upstream?.includes(edit.from)) to.upstream = [...(to.upstream ?? []), edit.from];
      return;
    }
    case 'disconnect': {
      const to = find(edit.to);
      if (to) to.upstream = to.upstream?.filter((up) => up !== edit.from);
      return;
    }
    case 'moveBlocks':
      Object.assign(model.positions, edit.positions);
      return;
    case 'renameBlock':
      for (const b of model.blocks) {
        if (b.id === edit.from) b.id = edit.to;
        b.upstream = b.upstream?.map((up) => (up === edit.from ? edit.to : up));
      }
      return;
    case 'updateBlock': {
      const block = find(edit.blockId);
      if (!block) return;
      for (const [key, value] of Object.entries(edit.patch)) {
        if (value === undefined) continue;
        if (value === null) delete (block as Record<string, unknown>)[key];
        else (block as Record<string, unknown>)[key] = value;
      }
    }
  }
}
