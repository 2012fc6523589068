import { useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { PipelineView } from '../api/views.ts';
import type { BlockSchema } from '../../../main/api/design-contract.ts';
import { traceColumn, type ColumnFocus } from './lineage-graph.ts';
import type { DesignState } from './DesignContext.tsx';

/**
 * Loads the pipeline's design-time schemas (`pipelines.schemas`) when it is shown, when its files change and when
 * `refresh` changes (a run finished: last-run schemas may have moved); traces the focused column's lineage.
 */
export function useDesignState(pipeline: PipelineView | null, refresh: string): DesignState {
  const api = useApi();
  const [schemas, setSchemas] = useState<ReadonlyMap<string, BlockSchema>>(new Map());
  const [focus, setFocus] = useState<ColumnFocus | null>(null);
  const pipelineId = pipeline?.id ?? null;
  const version = pipeline?.version ?? null;
  useEffect(() => setFocus(null), [pipelineId]);
  useEffect(() => {
    if (!pipelineId || !version) return setSchemas(new Map());
    let isCurrent = true;
    api
      .call('pipelines.schemas', { pipelineId })
      .then((reply) => isCurrent && setSchemas(new Map(reply.blocks.map((b) => [b.blockId, b]))))
      // Schemas are a help: without them the canvas and editor work as before.
      .catch(() => isCurrent && setSchemas(new Map()));
    return () => {
      isCurrent = false;
    };
  }, [api, pipelineId, version, refresh]);
  const blocks = pipeline?.blocks;
  const marks = useMemo(() => (focus && blocks ? traceColumn(focus, [...schemas.values()], blocks) : new Map()), [focus, schemas, blocks]);
  return useMemo(() => ({ schemas, focus, setFocus, marks }), [schemas, focus, marks]);
}
