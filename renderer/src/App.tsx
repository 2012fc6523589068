import { useEffect, useMemo, useState } from 'react';
import { AlertToast } from './alerts/AlertToast.tsx';
import { PipelineCanvas } from './canvas/PipelineCanvas.tsx';
import { SessionDialogs } from './canvas/SessionDialogs.tsx';
import { BottomPanel } from './console/BottomPanel.tsx';
import { BlockDetails, type Tab } from './details/BlockDetails.tsx';
import { draftView, useCanvasSession } from './editing/use-canvas-session.ts';
import { LogPanel } from './logs/LogPanel.tsx';
import { EmptyState } from './layout/EmptyState.tsx';
import { PALETTE_PANEL } from './layout/panels.ts';
import { useCanvasPlace } from './layout/use-canvas-place.ts';
import { WorkArea } from './layout/WorkArea.tsx';
import { ResizeHandle } from './layout/ResizeHandle.tsx';
import { CanvasSkeleton } from './layout/Skeleton.tsx';
import { usePanelSize } from './layout/use-panel-size.ts';
import { Palette } from './palette/Palette.tsx';
import { BlockActionBar } from './runs/BlockActionBar.tsx';
import { ExportResult } from './runs/ExportResult.tsx';
import { EditStatus } from './notices/EditStatus.tsx';
import { NoticeStack } from './notices/Toast.tsx';
import { RunToolbar } from './runs/RunToolbar.tsx';
import { useQueuedRuns } from './runs/use-queued-runs.ts';
import { useRunState } from './runs/use-run-state.ts';
import { useStaleBlocks } from './runs/use-stale-blocks.ts';
import { PipelineList } from './sidebar/PipelineList.tsx';
import { usePipeline, useProject, useRunActions } from './use-project.ts';
import { ProjectScreens } from './settings/ProjectScreens.tsx';
import { ScreenTabs } from './settings/ScreenTabs.tsx';
import { useScreenRoute } from './settings/use-screen-route.ts';
import { useSelectedPipeline } from './use-selected-pipeline.ts';
import { OrchestrationBar } from './orchestration/OrchestrationBar.tsx';
import { DesignContext } from './design/DesignContext.tsx';
import { useDesignState } from './design/use-design-state.ts';

/** The workbench: pipelines on the left, the palette and canvas with its toolbar, the selected block's details, the run log. */
export function App() {
  const project = useProject();
  const [route, navigate] = useScreenRoute();
  const { pipelineId, draftId, isDraft, select: selectPipeline } = useSelectedPipeline(project, route, navigate);
  const canvasPlace = useCanvasPlace();
  // Until a place is chosen, opening a block's code moves the canvas beside it (the notebook layout) for this session.
  const [isEditorLayout, setEditorLayout] = useState(false);
  const place = canvasPlace.wasChosen ? canvasPlace.place : isEditorLayout ? 'beside' : 'above';
  const [selectedBlock, setSelectedBlock] = useState<string | null>(null);
  const [openTab, setOpenTab] = useState<{ tab: Tab; seq: number } | null>(null);
  const pipeline = usePipeline(pipelineId);
  const runState = useRunState(pipelineId);
  const draft = useMemo(() => (draftId ? draftView(draftId) : null), [draftId]);
  const view = pipeline.status === 'ready' ? pipeline.value : isDraft ? draft : null;
  const actions = useRunActions(pipelineId, runState.runId, view?.spec.variables);
  const queued = useQueuedRuns(pipelineId);
  const defaults = useMemo(() => (project.status === 'ready' ? project.value.defaultConnections : {}), [project]);
  const session = useCanvasSession(view, pipeline.reload, actions.run, runState.moveBlock);
  const stale = useStaleBlocks(view, pipeline.seq, runState.blocks);
  const [paletteWidth, setPaletteWidth] = usePanelSize('palette', PALETTE_PANEL);
  const runBlockIds = useMemo(() => Object.keys(runState.blocks), [runState.blocks]);
  // Schemas are read again when a run ends: blocks known only from their last run may have new columns.
  const design = useDesignState(
    pipeline.status === 'ready' ? pipeline.value : null,
    `${runState.runId ?? ''}:${runState.status === 'running' ? 'running' : 'idle'}`,
  );

  useEffect(() => setSelectedBlock(null), [pipelineId]);

  if (project.status === 'loading')
    return (
      <p className="splash" role="status">
        Opening the project…
      </p>
    );
  if (project.status === 'error')
    return (
      <p className="splash error-text" role="alert">
        The project could not be opened: {project.message}
      </p>
    );
  return (
    <div className="workbench">
      <div className="side-column">
        <PipelineList project={project.value.name} pipelines={project.value.pipelines} selected={pipelineId} onSelect={selectPipeline} />
        <NoticeStack>
          <EditStatus notice={session.editor.notice} onReload={pipeline.reload} onDismiss={() => session.editor.setNotice(null)} />
          {session.exportJob?.pipelineId === pipelineId && (
            <ExportResult job={session.exportJob} state={runState.blocks[session.exportJob.exportId]} onClose={session.clearExportJob} />
          )}
          <AlertToast pipelineId={pipelineId} />
        </NoticeStack>
      </div>
      <DesignContext.Provider value={design}>
        <main className="main-area">
          <ScreenTabs
            screen={route.screen}
            onChange={(screen) => navigate(screen, screen === 'workbench' && pipelineId ? { pipelineId } : {})}
          />
          <ProjectScreens route={route} onNavigate={navigate} />
          <RunToolbar
            pipelineName={view ? (view.spec.name ?? view.id) : (pipelineId ?? '')}
            status={runState.status}
            busy={actions.busy}
            error={actions.error}
            canRun={pipeline.status === 'ready'}
            queued={queued}
            onRun={() => void actions.run()}
            onCancel={actions.cancel}
            onCancelQueued={actions.cancelRun}
            onNewPipeline={selectPipeline}
          />
          <OrchestrationBar
            key={pipelineId ?? ''}
            pipelineId={pipelineId}
            canRun={pipeline.status === 'ready'}
            variables={view?.spec.variables ?? {}}
          />
          <WorkArea
            place={place}
            canvas={
              <div className="editing-area" style={{ '--palette-width': `${paletteWidth}px` } as React.CSSProperties}>
                <Palette kinds={session.kinds} onAdd={(kind) => session.requestAdd(kind)} />
                <ResizeHandle
                  label="Resize the palette"
                  orientation="vertical"
                  size={paletteWidth}
                  {...PALETTE_PANEL}
                  onResize={setPaletteWidth}
                />
                <div className="canvas-area">
                  {view && (
                    <PipelineCanvas
                      pipeline={view}
                      runBlocks={runState.blocks}
                      runChildren={runState.children}
                      stale={stale}
                      kinds={session.kinds}
                      exportTargets={session.exportTargets}
                      commands={session.commands}
                      editor={session.editor}
                      onSelectBlock={(blockId) => {
                        setSelectedBlock(blockId);
                        setOpenTab(null);
                      }}
                      onSelectionChange={session.setSelectedIds}
                      onExport={session.requestExport}
                      onAddKind={session.requestAdd}
                      onOpenEditor={(blockId) => {
                        setSelectedBlock(blockId);
                        setEditorLayout(true);
                        const hasCode = Boolean(view.blocks.find((b) => b.id === blockId)?.file);
                        setOpenTab((t) => ({ tab: hasCode ? 'code' : 'config', seq: (t?.seq ?? 0) + 1 }));
                      }}
                    />
                  )}
                  {isDraft && view === draft && (
                    <p className="canvas-empty muted">
                      An empty pipeline: drag a source from the palette (or double-click it) to start; the file is written with the first
                      block.
                    </p>
                  )}
                  {!view && pipeline.status === 'loading' && pipelineId && <CanvasSkeleton label={`Loading ${pipelineId}`} />}
                  {!pipelineId && project.value.pipelines.length === 0 && (
                    <EmptyState title="No pipelines yet">
                      <p>
                        Press New pipeline above, or run <code>pipewright init</code> in the project folder.
                      </p>
                    </EmptyState>
                  )}
                  {!view && pipeline.status === 'error' && (
                    <p className="splash error-text" role="alert">
                      {pipelineId} cannot be shown: {pipeline.message}
                    </p>
                  )}
                </div>
              </div>
            }
            pane={
              pipeline.status === 'ready' && selectedBlock && pipeline.value.blocks.some((b) => b.id === selectedBlock) ? (
                <>
                  <BlockActionBar
                    blockId={selectedBlock}
                    blockType={pipeline.value.blocks.find((b) => b.id === selectedBlock)?.type ?? ''}
                    exportTargets={session.exportTargets}
                    onRun={(scope) => void session.commands.run(selectedBlock, scope)}
                    onExport={(target) => session.requestExport(selectedBlock, target)}
                  />
                  <BlockDetails
                    pipeline={pipeline.value}
                    blockId={selectedBlock}
                    runId={runState.status === 'running' ? null : runState.runId}
                    lastRun={runState.blocks[selectedBlock]}
                    liveRunId={runState.runId}
                    childCounts={runState.children[selectedBlock]}
                    openTab={openTab}
                    canvasPlace={place}
                    onCanvasPlace={canvasPlace.setPlace}
                    onClose={() => setSelectedBlock(null)}
                  />
                </>
              ) : null
            }
          />
          {/* Outside the work area: its dialogs show while the canvas is hidden too. */}
          <SessionDialogs session={session} defaultConnections={defaults} projectName={project.value.name} />
          <BottomPanel
            log={
              <LogPanel
                logs={runState.logs}
                runId={runState.runId}
                runBlockIds={runBlockIds}
                noRunText={pipelineId ? undefined : 'No pipeline to run yet.'}
                childCounts={runState.children}
                onShowChildren={(blockId) => {
                  setSelectedBlock(blockId);
                  setOpenTab((t) => ({ tab: 'children', seq: (t?.seq ?? 0) + 1 }));
                }}
              />
            }
          />
        </main>
      </DesignContext.Provider>
    </div>
  );
}
