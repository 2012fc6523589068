import { useCallback, useEffect, useRef, useState } from 'react';
import type { PipelineEdit } from '../../../main/api/contract-views.ts';
import { useApi } from '../api/ApiContext.tsx';
import type { PipelineView } from '../api/views.ts';
import { describeEditError, type EditProblem } from './edit-errors.ts';
import { inverseOf } from './inverse-edits.ts';

type Position = { x: number; y: number };

/** The version of a pipeline that exists only on the canvas until its first block is added. */
export const DRAFT_VERSION = '';

interface HistoryEntry {
  label: string;
  edits: PipelineEdit[];
  inverse: PipelineEdit[];
}

/** A line for the status bar: what was just done, or why it was refused. */
export interface EditNotice {
  kind: 'info' | 'error' | 'conflict';
  text: string;
}

export interface PipelineEditor {
  /** Writes `edits` (validated and saved on the main side); resolves true when saved, false when refused (the notice says why). */
  apply(edits: PipelineEdit[], label: string): Promise<boolean>;
  /** Like `apply`, for a dialog: resolves null when saved, else the refusal, which the dialog shows at its field. */
  tryApply(edits: PipelineEdit[], label: string): Promise<EditProblem | null>;
  undo(): Promise<void>;
  redo(): Promise<void>;
  canUndo: boolean;
  canRedo: boolean;
  notice: EditNotice | null;
  setNotice(notice: EditNotice | null): void;
}

/**
 * Edits of one pipeline: each saved batch goes on an undo stack with its inverse (computed before it is written);
 * undo writes the inverse to disk, redo the batch again. Refusals (a cycle, a stale version) become the notice.
 */
export function usePipelineEditor(
  view: PipelineView | null,
  shownPositions: () => Record<string, Position>,
  reload: () => void,
): PipelineEditor {
  const api = useApi();
  const version = useRef<string | null>(view?.version ?? null);
  const viewRef = useRef(view);
  const [undoStack, setUndoStack] = useState<HistoryEntry[]>([]);
  const [redoStack, setRedoStack] = useState<HistoryEntry[]>([]);
  const [notice, setNotice] = useState<EditNotice | null>(null);
  const pipelineId = view?.id ?? null;

  useEffect(() => {
    viewRef.current = view;
    if (view) version.current = view.version;
  }, [view]);
  useEffect(() => {
    if (notice?.kind !== 'info') return;
    // Confirmations fade; refusals stay until dismissed or replaced.
    const timer = setTimeout(() => setNotice((current) => (current === notice ? null : current)), 4000);
    return () => clearTimeout(timer);
  }, [notice]);
  useEffect(() => {
    setUndoStack([]);
    setRedoStack([]);
    setNotice(null);
  }, [pipelineId]);

  /** Resolves the code files added blocks got (null when nothing was written), or the refusal. */
  const write = useCallback(
    async (edits: PipelineEdit[]): Promise<{ files: Record<string, string> } | EditProblem> => {
      if (!pipelineId || version.current === null) return { text: 'The pipeline is not loaded yet.', field: null };
      try {
        const draft = viewRef.current?.version === DRAFT_VERSION ? viewRef.current : null;
        // A new pipeline is written by its first edit: a pipeline file needs at least one block.
        const result = draft
          ? await api.call('pipelines.create', { pipelineId, name: draft.spec.name ?? pipelineId, edits })
          : await api.call('pipelines.update', { pipelineId, expectedVersion: version.current, edits });
        version.current = result.version;
        reload();
        return { files: result.files ?? {} };
      } catch (error) {
        return describeEditError(error);
      }
    },
    [api, pipelineId, reload],
  );
  const showRefusal = useCallback(
    (problem: EditProblem) =>
      setNotice({ kind: /changed on disk by another editor/.test(problem.text) ? 'conflict' : 'error', text: problem.text }),
    [],
  );

  const tryApply = useCallback(
    async (edits: PipelineEdit[], label: string): Promise<EditProblem | null> => {
      const current = viewRef.current;
      if (!current) return { text: 'The pipeline is not loaded yet.', field: null };
      const batch = [...freezeLayout(current, shownPositions()), ...edits];
      const inverse = inverseOf(current, batch, shownPositions());
      const saved = await write(batch);
      if ('text' in saved) return saved;
      // A redo re-adds a block with the code file it got, not a fresh one.
      const redoable = batch.map((edit) =>
        edit.op === 'addBlock' && edit.block.file === undefined && saved.files[edit.block.id]
          ? { ...edit, block: { ...edit.block, file: saved.files[edit.block.id] } }
          : edit,
      );
      setUndoStack((stack) => [...stack.slice(-199), { label, edits: redoable, inverse }]);
      setRedoStack([]);
      setNotice({ kind: 'info', text: `${label} — saved` });
      return null;
    },
    [write, shownPositions],
  );

  const apply = useCallback(
    async (edits: PipelineEdit[], label: string) => {
      const problem = await tryApply(edits, label);
      if (problem) showRefusal(problem);
      return problem === null;
    },
    [tryApply, showRefusal],
  );

  const undo = useCallback(async () => {
    const entry = undoStack.at(-1);
    if (!entry) return;
    const undone = entry.inverse.length > 0 ? await write(entry.inverse) : { files: {} };
    if ('text' in undone) return showRefusal(undone);
    setUndoStack((stack) => stack.slice(0, -1));
    setRedoStack((stack) => [...stack, entry]);
    setNotice({ kind: 'info', text: `Undid: ${entry.label}` });
  }, [undoStack, write, showRefusal]);

  const redo = useCallback(async () => {
    const entry = redoStack.at(-1);
    if (!entry) return;
    const redone = await write(entry.edits);
    if ('text' in redone) return showRefusal(redone);
    setRedoStack((stack) => stack.slice(0, -1));
    setUndoStack((stack) => [...stack, entry]);
    setNotice({ kind: 'info', text: `Redid: ${entry.label}` });
  }, [redoStack, write, showRefusal]);

  return { apply, tryApply, undo, redo, canUndo: undoStack.length > 0, canRedo: redoStack.length > 0, notice, setNotice };
}

/**
 * Positions of blocks that layout.json does not hold yet, as shown (auto-laid-out): saved with the first edit so
 * the other blocks stay where the user sees them instead of being laid out again around the change.
 */
function freezeLayout(view: PipelineView, shown: Record<string, Position>): PipelineEdit[] {
  if (view.version === DRAFT_VERSION) return [];
  const positions: Record<string, Position> = {};
  for (const block of view.blocks) {
    const at = shown[block.id];
    if (!view.layout.nodes[block.id] && at) positions[block.id] = at;
  }
  return Object.keys(positions).length > 0 ? [{ op: 'moveBlocks', positions }] : [];
}
