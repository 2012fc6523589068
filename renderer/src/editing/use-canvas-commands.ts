import { useCallback, useMemo } from 'react';
import type { PipelineEdit } from '../../../main/project/pipeline-edits.ts';
import type { RunScope } from '../../../main/engine/run-events.ts';

/** The scopes a block's menu offers: the block alone, with its upstream, from it downstream (or the whole pipeline). */
export type BlockScopeKind = Exclude<RunScope['kind'], 'blocks'>;
import type { PipelineView } from '../api/views.ts';
import { layoutAll, NODE_HEIGHT, NODE_WIDTH } from '../canvas/auto-layout.ts';
import { addKindEdit, copyBlocks, needsUpstream, pasteEdits, type KindInfo } from './block-factory.ts';
import { exportEdit, type ExportTarget } from './export-blocks.ts';
import type { PipelineEditor } from './use-pipeline-editor.ts';

type Position = { x: number; y: number };

/** Everything the canvas, palette and menus can do to a pipeline, each a saved (and undoable) edit or a run. */
export interface CanvasCommands {
  addKind(kind: KindInfo, at?: Position): Promise<string | null>;
  deleteSelection(blockIds: string[], edges: { source: string; target: string }[]): Promise<void>;
  connect(from: string, to: string): Promise<void>;
  moveBlocks(positions: Record<string, Position>): Promise<void>;
  autoLayout(): Promise<void>;
  copy(blockIds: string[]): void;
  paste(): Promise<string[]>;
  saveBlock(blockId: string, newId: string, config: Record<string, unknown>): Promise<boolean>;
  run(blockId: string, scope: BlockScopeKind): Promise<string | null>;
  exportBlock(blockId: string, target: ExportTarget): Promise<{ exportId: string; runId: string | null } | null>;
}

interface Deps {
  view: PipelineView | null;
  editor: PipelineEditor;
  selectedIds: string[];
  positions: Record<string, Position>;
  defaultConnections: Record<string, string>;
  startRun(scope: RunScope): Promise<string | null>;
}

/** The canvas's commands over the current pipeline view. */
export function useCanvasCommands({ view, editor, selectedIds, positions, defaultConnections, startRun }: Deps): CanvasCommands {
  const { apply, setNotice } = editor;

  const addKind = useCallback(
    async (kind: KindInfo, at?: Position) => {
      const upstream = selectedIds.filter((id) => view?.blocks.some((b) => b.id === id && b.type !== 'export'));
      if (needsUpstream(kind.type) && upstream.length === 0 && (view?.blocks.length ?? 0) > 0) {
        setNotice({ kind: 'error', text: `A ${kind.type} block reads another block's output: select the block it should read, then add ${kind.title}.` });
        return null;
      }
      const edit = addKindEdit(kind, view, upstream, at ?? placeBeside(upstream, positions));
      const id = edit.op === 'addBlock' ? edit.block.id : null;
      return (await apply([edit], `Add ${id}`)) ? id : null;
    },
    [apply, setNotice, selectedIds, view, positions],
  );

  const deleteSelection = useCallback(
    async (blockIds: string[], edges: { source: string; target: string }[]) => {
      const edits: PipelineEdit[] = [
        ...edges.filter((e) => !blockIds.includes(e.source) && !blockIds.includes(e.target)).map((e): PipelineEdit => ({ op: 'disconnect', from: e.source, to: e.target })),
        ...blockIds.map((blockId): PipelineEdit => ({ op: 'removeBlock', blockId })),
      ];
      if (edits.length > 0) await apply(edits, blockIds.length > 0 ? `Delete ${blockIds.join(', ')}` : 'Remove connection');
    },
    [apply],
  );

  const commands = useMemo(
    () => ({
      connect: async (from: string, to: string) => void (await apply([{ op: 'connect', from, to }], `Connect ${from} → ${to}`)),
      moveBlocks: async (moved: Record<string, Position>) => void (await apply([{ op: 'moveBlocks', positions: moved }], 'Move')),
      autoLayout: async () => {
        if (view) await apply([{ op: 'moveBlocks', positions: layoutAll(view.blocks) }], 'Auto-layout');
      },
      copy: (blockIds: string[]) => {
        if (!view || blockIds.length === 0) return;
        const count = copyBlocks(view, blockIds, positions);
        setNotice({ kind: 'info', text: `Copied ${count} block${count === 1 ? '' : 's'}` });
      },
      paste: async () => {
        if (!view) return [];
        const { edits, ids } = pasteEdits(view, positions);
        if (edits.length === 0) return [];
        return (await apply(edits, `Paste ${ids.join(', ')}`)) ? ids : [];
      },
      saveBlock: async (blockId: string, newId: string, config: Record<string, unknown>) => {
        const edits: PipelineEdit[] = [{ op: 'updateBlock', blockId, patch: { config } }];
        if (newId !== blockId) edits.push({ op: 'renameBlock', from: blockId, to: newId });
        return apply(edits, `Edit ${newId}`);
      },
      run: (blockId: string, scope: BlockScopeKind) => startRun(scope === 'pipeline' ? { kind: 'pipeline' } : { kind: scope, block: blockId }),
      exportBlock: async (blockId: string, target: ExportTarget) => {
        if (!view) return null;
        const source = positions[blockId] ?? { x: 0, y: 0 };
        const edit = exportEdit(view, blockId, target, defaultConnections, { x: source.x + NODE_WIDTH * 0.6, y: source.y + NODE_HEIGHT + 40 });
        if (!(await apply([edit.edit], `Export ${blockId} to ${target.label}`))) return null;
        return { exportId: edit.exportId, runId: await startRun({ kind: 'block', block: edit.exportId }) };
      },
    }),
    [apply, setNotice, view, positions, defaultConnections, startRun],
  );
  return useMemo(() => ({ addKind, deleteSelection, ...commands }), [addKind, deleteSelection, commands]);
}

/** Right of the blocks it reads (or below everything, for a new source). */
function placeBeside(upstream: string[], positions: Record<string, Position>): Position {
  const anchors = upstream.map((id) => positions[id]).filter((p): p is Position => p !== undefined);
  if (anchors.length > 0) {
    const x = Math.max(...anchors.map((p) => p.x)) + NODE_WIDTH + 64;
    const ys = anchors.map((p) => p.y);
    const taken = Object.values(positions).filter((p) => Math.abs(p.x - x) < NODE_WIDTH);
    let y = Math.min(...ys);
    while (taken.some((p) => Math.abs(p.y - y) < NODE_HEIGHT)) y += NODE_HEIGHT + 32;
    return { x, y };
  }
  const all = Object.values(positions);
  return { x: all.length ? Math.min(...all.map((p) => p.x)) : 0, y: all.length ? Math.max(...all.map((p) => p.y)) + NODE_HEIGHT + 48 : 0 };
}
