import type { OpenProject } from '../runtime/open-project.ts';
import { designSchemas, type BlockSchema } from '../schemas/design-schemas.ts';
import { schemaEnvOf } from '../schemas/stored-columns.ts';
import { planExports, type DryRunReport } from '../dry-run/plan-exports.ts';

export interface PipelineSchemas {
  pipelineId: string;
  blocks: BlockSchema[];
}

/** `pipelines.schemas`, `pipelines.dryRun`. */
export function createDesignHandlers(open: OpenProject) {
  return {
    'pipelines.dryRun': async (p: { pipelineId: string; variables: Record<string, string>; blockId?: string }): Promise<DryRunReport> =>
      planExports(open, await open.loadPipeline(p.pipelineId), { variables: p.variables, ...(p.blockId ? { blockId: p.blockId } : {}) }),
    'pipelines.schemas': async (p: { pipelineId: string; variables: Record<string, string> }): Promise<PipelineSchemas> => ({
      pipelineId: p.pipelineId,
      blocks: await designSchemas(schemaEnvOf(open), await open.loadPipeline(p.pipelineId), { variables: p.variables }),
    }),
  };
}
