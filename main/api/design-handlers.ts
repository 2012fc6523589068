import type { OpenProject } from '../runtime/open-project.ts';
import { designSchemas, type BlockSchema, type SchemaEnv } from '../schemas/design-schemas.ts';

export interface PipelineSchemas {
  pipelineId: string;
  blocks: BlockSchema[];
}

/** Design-time reads over the open project's files and its workspace's stored outputs (read-only). */
export function schemaEnvOf(open: Pick<OpenProject, 'project' | 'kinds' | 'workspace'>): SchemaEnv {
  return {
    project: open.project,
    kinds: open.kinds,
    storedColumns: async (pipelineId, blockId) => {
      if (!(await open.workspace.latestOutput(pipelineId, blockId))) return undefined;
      return (await open.workspace.preview(pipelineId, blockId, { offset: 0, limit: 1 })).columns;
    },
  };
}

/** `pipelines.schemas`. */
export function createDesignHandlers(open: OpenProject) {
  return {
    'pipelines.schemas': async (p: { pipelineId: string; variables: Record<string, string> }): Promise<PipelineSchemas> => ({
      pipelineId: p.pipelineId,
      blocks: await designSchemas(schemaEnvOf(open), await open.loadPipeline(p.pipelineId), { variables: p.variables }),
    }),
  };
}
