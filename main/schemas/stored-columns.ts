import type { Workspace } from '../data/workspace.ts';
import type { SchemaEnv } from './design-schemas.ts';

/** A SchemaEnv whose last-run columns come from the workspace's latest outputs (read in a snapshot, never written). */
export function schemaEnvOf(open: Pick<SchemaEnv, 'project' | 'kinds'> & { workspace: Workspace }): SchemaEnv {
  return {
    project: open.project,
    kinds: open.kinds,
    storedColumns: async (pipelineId, blockId) => {
      if (!(await open.workspace.latestOutput(pipelineId, blockId))) return undefined;
      return (await open.workspace.preview(pipelineId, blockId, { offset: 0, limit: 1 })).columns;
    },
  };
}
