import { useEffect, useState } from 'react';
import { PipelineCanvas } from './canvas/PipelineCanvas.tsx';
import { BlockDetails } from './details/BlockDetails.tsx';
import { LogPanel } from './logs/LogPanel.tsx';
import { RunToolbar } from './runs/RunToolbar.tsx';
import { useRunState } from './runs/use-run-state.ts';
import { PipelineList } from './sidebar/PipelineList.tsx';
import { usePipeline, useProject, useRunActions } from './use-project.ts';

/** The workbench: pipelines on the left, the canvas with its toolbar, the selected block's details, the run log. */
export function App() {
  const project = useProject();
  const [pipelineId, setPipelineId] = useState<string | null>(null);
  const [selectedBlock, setSelectedBlock] = useState<string | null>(null);
  const pipeline = usePipeline(pipelineId);
  const runState = useRunState(pipelineId);
  const actions = useRunActions(pipelineId, runState.runId);

  useEffect(() => {
    if (project.status === 'ready' && pipelineId === null) setPipelineId(project.value.pipelines[0] ?? null);
  }, [project, pipelineId]);
  useEffect(() => setSelectedBlock(null), [pipelineId]);

  if (project.status === 'loading') return <p className="splash" role="status">Opening the project…</p>;
  if (project.status === 'error') return <p className="splash error-text" role="alert">The project could not be opened: {project.message}</p>;
  return (
    <div className="workbench">
      <PipelineList project={project.value.name} pipelines={project.value.pipelines} selected={pipelineId} onSelect={setPipelineId} />
      <main className="main-area">
        <RunToolbar
          pipelineName={pipeline.status === 'ready' ? (pipeline.value.spec.name ?? pipeline.value.id) : (pipelineId ?? '')}
          status={runState.status}
          busy={actions.busy}
          error={actions.error}
          onRun={actions.run}
          onCancel={actions.cancel}
        />
        <div className="canvas-area">
          {pipeline.status === 'ready' && (
            <PipelineCanvas pipeline={pipeline.value} runBlocks={runState.blocks} selectedBlock={selectedBlock} onSelectBlock={setSelectedBlock} />
          )}
          {pipeline.status === 'loading' && pipelineId && <p className="splash muted" role="status">Loading {pipelineId}…</p>}
          {pipeline.status === 'error' && (
            <p className="splash error-text" role="alert">
              {pipelineId} cannot be shown: {pipeline.message}
            </p>
          )}
        </div>
        {pipeline.status === 'ready' && selectedBlock && (
          <BlockDetails pipeline={pipeline.value} blockId={selectedBlock} runId={runState.status === 'running' ? null : runState.runId} onClose={() => setSelectedBlock(null)} />
        )}
        <LogPanel logs={runState.logs} runId={runState.runId} />
      </main>
    </div>
  );
}
