import { useCallback, useMemo, useRef, useState } from 'react';
import type { RunScope } from '../../../main/engine/run-events.ts';
import type { PipelineView } from '../api/views.ts';
import { positionBlocks } from '../canvas/auto-layout.ts';
import { useKinds } from '../palette/use-kinds.ts';
import type { ExportJob } from '../runs/ExportResult.tsx';
import { availableExportTargets, type ExportTarget } from './export-blocks.ts';
import { useCanvasCommands } from './use-canvas-commands.ts';
import { DRAFT_VERSION, usePipelineEditor } from './use-pipeline-editor.ts';

/** An empty pipeline shown on the canvas until its first block is added (which writes its file). */
export function draftView(id: string): PipelineView {
  return { id, version: DRAFT_VERSION, spec: { name: id, variables: {}, blocks: [] }, layout: { nodes: {} }, blocks: [] };
}

/**
 * Everything the canvas and palette share for one pipeline: kinds, the editor with its undo history, the
 * commands, the multi-selection and the one-click export in flight.
 */
export function useCanvasSession(view: PipelineView | null, reload: () => void, defaultConnections: Record<string, string>, startRun: (scope: RunScope) => Promise<string | null>) {
  const kinds = useKinds();
  const [selectedIds, setSelected] = useState<string[]>([]);
  // React Flow reports selection often with equal contents: keep the same array then, so nothing re-renders.
  const setSelectedIds = useCallback((ids: string[]) => setSelected((current) => (current.length === ids.length && current.every((id, i) => id === ids[i]) ? current : ids)), []);
  const [exportJob, setExportJob] = useState<ExportJob | null>(null);
  const positions = useMemo(() => (view ? positionBlocks(view.blocks, view.layout) : {}), [view]);
  const positionsRef = useRef(positions);
  positionsRef.current = positions;
  const shownPositions = useCallback(() => positionsRef.current, []);
  const editor = usePipelineEditor(view, shownPositions, reload);
  const commands = useCanvasCommands({ view, editor, selectedIds, positions, defaultConnections, startRun });
  const exportTargets = useMemo(() => availableExportTargets(kinds), [kinds]);
  const exportBlock = useCallback(
    async (blockId: string, target: ExportTarget) => {
      const started = await commands.exportBlock(blockId, target);
      if (!started) return;
      const config = target.config(blockId, target.connectionType ? defaultConnections[target.connectionType] : undefined);
      setExportJob({ exportId: started.exportId, sourceId: blockId, destination: target.destination(config), runId: started.runId });
    },
    [commands, defaultConnections],
  );
  return { kinds, editor, commands, selectedIds, setSelectedIds, exportTargets, exportBlock, exportJob, clearExportJob: () => setExportJob(null) };
}
