import { UserError } from '../model/errors.ts';
import type { RunRequest } from '../model/engine-types.ts';
import { selectBlocks } from '../model/plan.ts';
import { designSchemas, type SchemaEnv } from '../schemas/design-schemas.ts';
import { errorAt, readYamlFile } from '../project/yaml-file.ts';
import { pipelineRelPath } from '../project/load-pipeline.ts';

/**
 * Refuses a run, before any block starts, when a block it would run has a check naming a column the block does not
 * produce: its columns are known from its SQL (bound over its upstreams' last outputs or declared schemas) or its
 * declared `schema:`. The error names the column, the block and the check's line in pipeline.yaml. Blocks whose
 * columns are only known from their last run are left to the run itself (this run's code may add the column).
 * Sources are not sampled here: a run never waits on a design-time download.
 */
export function checkColumnsGate(env: SchemaEnv): (request: Omit<RunRequest, 'project'>) => Promise<void> {
  return async (request) => {
    const { pipeline } = request;
    if (!pipeline.blocks.some((b) => b.checks?.length)) return;
    const selected = new Set(selectBlocks(pipeline.blocks, request.scope));
    const schemas = await designSchemas(env, pipeline, { variables: request.variables ?? {}, sampleSources: false });
    for (const schema of schemas) {
      if (!selected.has(schema.blockId) || (schema.origin !== 'design' && schema.origin !== 'declared')) continue;
      const problem = schema.problems.find((p) => p.path?.startsWith('checks.'));
      if (!problem?.path) continue;
      const index = pipeline.blocks.findIndex((b) => b.id === schema.blockId);
      const source = await readYamlFile(pipeline.file, pipelineRelPath(pipeline.id, 'pipeline.yaml'));
      const dataPath = ['blocks', index, ...problem.path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part))];
      if (!source) throw new UserError(problem.message, { block: schema.blockId });
      throw errorAt(source, dataPath, problem.message, schema.blockId);
    }
  };
}
