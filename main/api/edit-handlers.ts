import type { EmitEvent, HandlersOf } from './api-types.ts';
import type { editMethods } from './edit-contract.ts';
import type { OpenProject } from '../runtime/open-project.ts';
import { configJsonSchema, starterConfig } from '../project/block-templates.ts';
import type { PipelineEdit } from '../project/pipeline-edits.ts';
import type { BlockType } from '../model/schema.ts';
import { createPipeline, readPipelineVersion, updatePipeline } from '../project/pipeline-writer.ts';
import { listPipelineIds } from '../project/load-project.ts';

/** One block kind as the palette and the config forms see it. */
export interface KindInfo {
  type: BlockType;
  kind: string;
  title: string;
  code: 'required' | 'optional' | 'none';
  codeExtension: string | null;
  configSchema: unknown;
  /** A config this kind accepts for a new block; `{{block_id}}` stands for the new block's id. */
  starterConfig: Record<string, unknown>;
}

/** The editing methods over an open project; every successful write also emits `pipelines.changed`. */
export function createEditHandlers(open: OpenProject, emit: EmitEvent) {
  const { project, kinds } = open;
  const changed = (pipelineId: string, version: string) => {
    emit('pipelines.changed', { pipelineId, version, codeChanged: true });
    return { version };
  };
  return {
    'pipelines.update': async (p) => {
      const { version, files } = await updatePipeline({ project, kinds, ...p });
      // A renamed block keeps its stored output (so a new block given the old name does not show it).
      for (const edit of p.edits)
        if (edit.op === 'renameBlock' && edit.from !== edit.to) await open.workspace.renameBlockOutputs(p.pipelineId, edit.from, edit.to);
      return { ...changed(p.pipelineId, version), files };
    },
    'pipelines.create': async (p) => {
      const { version, files } = await createPipeline({ project, kinds, ...p });
      project.pipelineIds = await listPipelineIds(project.dir);
      return { ...changed(p.pipelineId, version), files };
    },
    'blocks.update': async (p) => {
      const edits: PipelineEdit[] = [{ op: 'updateBlock', blockId: p.blockId, patch: p.patch }];
      const { version } = await updatePipeline({ project, kinds, pipelineId: p.pipelineId, expectedVersion: p.expectedVersion, edits });
      return changed(p.pipelineId, version);
    },
    'kinds.list': async () => ({
      kinds: kinds.list().map((kind): KindInfo => ({
        type: kind.type,
        kind: kind.kind,
        title: kind.title,
        code: kind.code,
        codeExtension: kind.codeExtension ?? null,
        configSchema: configJsonSchema(kind),
        starterConfig: starterConfig(kind, '{{block_id}}'),
      })),
    }),
    'project.get': async () => ({
      name: project.settings.name,
      defaultConnections: project.settings.default_connections ?? {},
      connections: Object.entries(project.connections).map(([name, profile]) => ({ name, type: profile.type })),
    }),
  } satisfies HandlersOf<keyof typeof editMethods>;
}

/** `pipelines.get`'s version: read around the load, so a change during the load never pairs new content with an old version. */
export async function loadWithVersion(open: OpenProject, pipelineId: string) {
  for (let attempt = 0; ; attempt++) {
    const before = await readPipelineVersion(open.project.dir, pipelineId);
    const pipeline = await open.loadPipeline(pipelineId);
    const after = await readPipelineVersion(open.project.dir, pipelineId);
    if (before === after || attempt >= 2) return { pipeline, version: after };
  }
}
