import { useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { Modal } from '../orchestration/Modal.tsx';
import { BlockPreview } from '../preview/BlockPreview.tsx';

/** The blocks whose output from this run is still stored (`retention.outputs_keep_last`); refreshed when the run changes. */
export function useRunOutputs(pipelineId: string, runId: string, status: string): ReadonlySet<string> {
  const api = useApi();
  const [blocks, setBlocks] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (!pipelineId) return;
    let isCurrent = true;
    api.call('outputs.ofRun', { pipelineId, runId }).then(
      ({ outputs }) => isCurrent && setBlocks(new Set(outputs.map((o) => o.blockId))),
      () => isCurrent && setBlocks(new Set()), // no preview buttons: the rest of the page still shows the run
    );
    return () => {
      isCurrent = false;
    };
  }, [api, pipelineId, runId, status]);
  return blocks;
}

/** A block's output as this run left it, in the same grid as the canvas's preview. */
export function RunOutputDialog({
  pipelineId,
  runId,
  blockId,
  onClose,
}: {
  pipelineId: string;
  runId: string;
  blockId: string;
  onClose(): void;
}) {
  return (
    <Modal title={`${blockId} as run ${runId} left it`} onClose={onClose} wide>
      <div className="run-output-preview">
        <BlockPreview pipelineId={pipelineId} blockId={blockId} version={runId} runId={runId} />
      </div>
    </Modal>
  );
}
