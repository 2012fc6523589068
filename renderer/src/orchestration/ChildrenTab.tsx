import { useState } from 'react';
import { ChildrenPager } from '../history/ChildrenPager.tsx';
import { RunLogs } from '../history/RunLogs.tsx';
import type { ChildTally } from './children-state.ts';

/** The selected block's dynamic children in the last or current run, paged, with one child's logs below on request. */
export function ChildrenTab({ runId, blockId, counts }: { runId: string; blockId: string; counts: ChildTally }) {
  const [logsOf, setLogsOf] = useState('');
  return (
    <div className="children-tab">
      <ChildrenPager runId={runId} blockId={blockId} counts={counts} focusedBlockId={logsOf} onShowLogs={setLogsOf} />
      {logsOf && <RunLogs runId={runId} blockIds={[logsOf]} blockId={logsOf} onBlockChange={setLogsOf} offersAll={false} />}
    </div>
  );
}
