import { useCallback, useMemo } from 'react';
import type { PipelineEdit } from '../../../main/api/contract-views.ts';
import type { RunScope } from '../../../main/model/run-events.ts';

/** The scopes a block's menu offers: the block alone, with its upstream, from it downstream (or the whole pipeline). */
export type BlockScopeKind = Exclude<RunScope['kind'], 'blocks'>;
import type { PipelineView } from '../api/views.ts';
import { layoutAll } from '../canvas/auto-layout.ts';
import { addKindEdit, copyBlocks, needsUpstream, pasteEdits, uniqueBlockId, type KindInfo } from './block-factory.ts';
import type { EditProblem } from './edit-errors.ts';
import { exportEdit, type ExportTarget } from './export-blocks.ts';
import { freeSpot } from './placement.ts';
import type { PipelineEditor } from './use-pipeline-editor.ts';

type Position = { x: number; y: number };

/** Everything the canvas, palette and menus can do to a pipeline, each a saved (and undoable) edit or a run. */
export interface CanvasCommands {
  /** Why a block of `kind` cannot be added now (a transform with no block selected), or null. */
  addRefusal(kind: KindInfo): string | null;
  /** A free name for a new block of `kind`. */
  defaultName(kind: KindInfo): string;
  /** Adds a block named `name` (at `at`, else clear of the others, downstream of the selection); null when saved. */
  addKind(kind: KindInfo, name: string, at?: Position): Promise<EditProblem | null>;
  deleteSelection(blockIds: string[], edges: { source: string; target: string }[]): Promise<void>;
  connect(from: string, to: string): Promise<void>;
  moveBlocks(positions: Record<string, Position>): Promise<void>;
  autoLayout(): Promise<void>;
  copy(blockIds: string[]): void;
  paste(): Promise<string[]>;
  /** Renames and reconfigures a block; null when saved, else the refusal for the dialog to show. */
  saveBlock(blockId: string, newId: string, config: Record<string, unknown>): Promise<EditProblem | null>;
  run(blockId: string, scope: BlockScopeKind): Promise<string | null>;
  /** Adds the export block with the dialog's config and runs it; resolves its id and run, or the refusal. */
  exportBlock(
    blockId: string,
    target: ExportTarget,
    config: Record<string, unknown>,
  ): Promise<{ exportId: string; runId: string | null } | EditProblem>;
}

interface Deps {
  view: PipelineView | null;
  editor: PipelineEditor;
  selectedIds: string[];
  positions: Record<string, Position>;
  startRun(scope: RunScope): Promise<string | null>;
  /** After a rename (`from` → `to`) or an add (`from` null): the shown run results follow the block, not its old id. */
  onIdChanged(from: string | null, to: string): void;
}

/** The canvas's commands over the current pipeline view. */
export function useCanvasCommands({ view, editor, selectedIds, positions, startRun, onIdChanged }: Deps): CanvasCommands {
  const { apply, tryApply, setNotice } = editor;
  const upstreamOf = useCallback(
    () => selectedIds.filter((id) => view?.blocks.some((b) => b.id === id && b.type !== 'export')),
    [selectedIds, view],
  );

  const addRefusal = useCallback(
    (kind: KindInfo) =>
      needsUpstream(kind.type) && upstreamOf().length === 0 && (view?.blocks.length ?? 0) > 0
        ? `A ${kind.type} block reads another block's output: select the block it should read, then add ${kind.title}.`
        : null,
    [upstreamOf, view],
  );
  const defaultName = useCallback((kind: KindInfo) => uniqueBlockId(kind.kind, view?.blocks.map((b) => b.id) ?? []), [view]);
  const addKind = useCallback(
    async (kind: KindInfo, name: string, at?: Position) => {
      const upstream = upstreamOf();
      const spot =
        at ??
        freeSpot(
          upstream.flatMap((id) => positions[id] ?? []),
          Object.values(positions),
        );
      const problem = await tryApply([addKindEdit(kind, name, upstream, spot)], `Add ${name}`);
      if (!problem) onIdChanged(null, name);
      return problem;
    },
    [tryApply, upstreamOf, positions, onIdChanged],
  );

  const deleteSelection = useCallback(
    async (blockIds: string[], edges: { source: string; target: string }[]) => {
      const edits: PipelineEdit[] = [
        ...edges
          .filter((e) => !blockIds.includes(e.source) && !blockIds.includes(e.target))
          .map((e): PipelineEdit => ({ op: 'disconnect', from: e.source, to: e.target })),
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
        const problem = await tryApply(edits, `Edit ${newId}`);
        if (!problem && newId !== blockId) onIdChanged(blockId, newId);
        return problem;
      },
      run: (blockId: string, scope: BlockScopeKind) =>
        startRun(scope === 'pipeline' ? { kind: 'pipeline' } : { kind: scope, block: blockId }),
      exportBlock: async (blockId: string, target: ExportTarget, config: Record<string, unknown>) => {
        if (!view) return { text: 'The pipeline is not loaded yet.', field: null };
        const spot = freeSpot(positions[blockId] ? [positions[blockId]] : [], Object.values(positions));
        const edit = exportEdit(view, blockId, target, config, spot);
        const problem = await tryApply([edit.edit], `Export ${blockId} to ${target.label}`);
        if (problem) return problem;
        return { exportId: edit.exportId, runId: await startRun({ kind: 'block', block: edit.exportId }) };
      },
    }),
    [apply, tryApply, setNotice, view, positions, startRun, onIdChanged],
  );
  return useMemo(
    () => ({ addRefusal, defaultName, addKind, deleteSelection, ...commands }),
    [addRefusal, defaultName, addKind, deleteSelection, commands],
  );
}
