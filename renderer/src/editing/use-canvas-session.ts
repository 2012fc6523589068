import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { RunScope } from '../../../main/model/run-events.ts';
import type { PipelineView } from '../api/views.ts';
import { positionBlocks } from '../canvas/auto-layout.ts';
import { useKinds } from '../palette/use-kinds.ts';
import type { ExportJob } from '../runs/ExportResult.tsx';
import type { KindInfo } from './block-factory.ts';
import type { EditProblem } from './edit-errors.ts';
import { availableExportTargets, type ExportTarget } from './export-blocks.ts';
import { useCanvasCommands } from './use-canvas-commands.ts';
import { DRAFT_VERSION, usePipelineEditor } from './use-pipeline-editor.ts';

type Position = { x: number; y: number };

/** An empty pipeline shown on the canvas until its first block is added (which writes its file). */
export function draftView(id: string): PipelineView {
  return { id, version: DRAFT_VERSION, spec: { name: id, variables: {}, blocks: [] }, layout: { nodes: {} }, blocks: [] };
}

/** A block about to be added: its name is asked first. */
export interface PendingAdd {
  kind: KindInfo;
  at?: Position;
  defaultName: string;
}

/** A one-click export about to run: its destination is shown (and editable) first. */
export interface PendingExport {
  blockId: string;
  target: ExportTarget;
}

/**
 * Everything the canvas and palette share for one pipeline: kinds, the editor with its undo history, the
 * commands, the multi-selection, the add and export dialogs, and the one-click export in flight.
 */
export function useCanvasSession(
  view: PipelineView | null,
  reload: () => void,
  startRun: (scope: RunScope) => Promise<string | null>,
  onIdChanged: (from: string | null, to: string) => void,
) {
  const kinds = useKinds();
  const [selectedIds, setSelected] = useState<string[]>([]);
  // React Flow reports selection often with equal contents: keep the same array then, so nothing re-renders.
  const setSelectedIds = useCallback(
    (ids: string[]) => setSelected((current) => (current.length === ids.length && current.every((id, i) => id === ids[i]) ? current : ids)),
    [],
  );
  const [exportJob, setExportJob] = useState<ExportJob | null>(null);
  const [pendingAdd, setPendingAdd] = useState<PendingAdd | null>(null);
  const [pendingExport, setPendingExport] = useState<PendingExport | null>(null);
  const positions = useMemo(() => (view ? positionBlocks(view.blocks, view.layout) : {}), [view]);
  const positionsRef = useRef(positions);
  positionsRef.current = positions;
  const shownPositions = useCallback(() => positionsRef.current, []);
  const editor = usePipelineEditor(view, shownPositions, reload);
  const commands = useCanvasCommands({ view, editor, selectedIds, positions, startRun, onIdChanged });
  const exportTargets = useMemo(() => availableExportTargets(kinds), [kinds]);
  const pipelineId = view?.id ?? null;
  useEffect(() => {
    // Dialogs and results belong to the pipeline they were opened on.
    setExportJob(null);
    setPendingAdd(null);
    setPendingExport(null);
  }, [pipelineId]);

  const requestAdd = useCallback(
    (kind: KindInfo, at?: Position) => {
      const refusal = commands.addRefusal(kind);
      if (refusal) return editor.setNotice({ kind: 'error', text: refusal });
      setPendingAdd({ kind, defaultName: commands.defaultName(kind), ...(at ? { at } : {}) });
    },
    [commands, editor],
  );
  const confirmAdd = useCallback(
    async (name: string): Promise<EditProblem | null> => (pendingAdd ? commands.addKind(pendingAdd.kind, name, pendingAdd.at) : null),
    [commands, pendingAdd],
  );
  const confirmExport = useCallback(
    async (config: Record<string, unknown>): Promise<EditProblem | null> => {
      if (!pendingExport) return null;
      const { blockId, target } = pendingExport;
      const started = await commands.exportBlock(blockId, target, config);
      if ('text' in started) return started;
      // One notice for one action: the export's result says it was added and where it went.
      editor.setNotice(null);
      setExportJob({
        pipelineId: pipelineId ?? '',
        exportId: started.exportId,
        sourceId: blockId,
        destination: target.destination(config),
        runId: started.runId,
      });
      return null;
    },
    [commands, editor, pendingExport, pipelineId],
  );
  return {
    kinds,
    editor,
    commands,
    selectedIds,
    setSelectedIds,
    exportTargets,
    exportJob,
    clearExportJob: () => setExportJob(null),
    pendingAdd,
    requestAdd,
    confirmAdd,
    cancelAdd: () => setPendingAdd(null),
    pendingExport,
    requestExport: (blockId: string, target: ExportTarget) => setPendingExport({ blockId, target }),
    confirmExport,
    cancelExport: () => setPendingExport(null),
  };
}

/** What `useCanvasSession` returns. */
export type CanvasSession = ReturnType<typeof useCanvasSession>;
