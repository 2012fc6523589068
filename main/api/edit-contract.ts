import { z } from 'zod';
import { blockPatchSchema, pipelineEditSchema } from '../project/pipeline-edits.ts';

/** Params of the editing methods (canvas, config forms); contract.ts lists them among its methods. */

const id = z.string().min(1).max(200);
/** The version `pipelines.get` returned; a write against an older one is refused as a conflict. */
const version = z.string().min(1).max(100);

export const editMethods = {
  /** Applies edit operations to pipeline.yaml and layout.json; refused whole (nothing written) when the result is invalid or `expectedVersion` is stale. Resolves to the new version. */
  'pipelines.update': z.strictObject({ pipelineId: id, expectedVersion: version, edits: z.array(pipelineEditSchema).min(1).max(2000) }),
  /** Creates a pipeline with the blocks `edits` add (a pipeline needs at least one block). Resolves to its version. */
  'pipelines.create': z.strictObject({
    pipelineId: id,
    name: z.string().min(1).max(200),
    edits: z.array(pipelineEditSchema).min(1).max(2000),
  }),
  /** Patches one block (config, description, retry, timeout, upstream, file, code) like `pipelines.update`. */
  'blocks.update': z.strictObject({ pipelineId: id, blockId: id, expectedVersion: version, patch: blockPatchSchema }),
  /** Registered block kinds: type, kind, title, code file use, config JSON Schema and a starter config. */
  'kinds.list': z.strictObject({}),
  /** The project's name, default connections and connection names with their types (never secrets). */
  'project.get': z.strictObject({}),
} as const;
