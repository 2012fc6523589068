import type { OpenProject } from '../runtime/open-project.ts';
import { UserError } from '../model/errors.ts';
import type { RunGraph, connectionsMethods } from './connections-contract.ts';
import type { HandlersOf } from './api-types.ts';
import { deleteConnection, describeConnections, saveConnection } from '../connections/connections-file.ts';
import { SecretStore } from '../connections/secret-store.ts';
import { testConnection } from '../connections/test-connection.ts';
import { loadProject } from '../project/load-project.ts';
import { readEngineSettings, saveEngineSettings } from '../project/engine-settings-file.ts';

/** The connections and settings screens' methods over an open project. */
export function createConnectionsHandlers(open: OpenProject) {
  const { project } = open;
  const secrets = () => SecretStore.forProject(project.stateDir);
  // Profiles are re-read after each write, so runs and tests see the file as it now is.
  const reloadConnections = async () => {
    project.connections = (await loadProject(project.dir)).connections;
  };
  return {
    'connections.list': async () => ({ connections: await describeConnections(project, secrets()) }),
    'connections.save': async (p) => {
      await reloadConnections();
      await saveConnection(project, secrets(), p);
      await reloadConnections();
      return { name: p.name };
    },
    'connections.delete': async (p) => {
      await reloadConnections();
      await deleteConnection(project, secrets(), p.name);
      await reloadConnections();
      return { deleted: p.name };
    },
    'connections.test': async (p) => {
      await reloadConnections();
      return testConnection(project, p.name, secrets());
    },
    'settings.get': async () => {
      const cipher = secrets().cipher;
      return { engine: readEngineSettings(project), secretStore: { description: cipher.description, isOsKeychain: cipher.isOsKeychain } };
    },
    'settings.save': async (p) => ({ engine: await saveEngineSettings(project, p.engine) }),
    'runs.graph': async (p) => describeRunGraph(open, p.runId),
  } satisfies Omit<HandlersOf<keyof typeof connectionsMethods>, 'runs.retryFailed'>;
}

async function describeRunGraph(open: OpenProject, runId: string): Promise<RunGraph> {
  const run = open.store.getRunOverview(runId);
  if (!run) throw new UserError(`no run ${runId} in this project's history`, { path: 'runId' });
  const recorded = () => run.blocks.map((b) => ({ id: b.blockId, upstream: [] }));
  let pipeline;
  try {
    pipeline = await open.loadPipeline(run.pipelineId);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      isCurrent: false,
      note: `The pipeline ${run.pipelineId} cannot be loaded now (${reason}): showing the blocks this run recorded.`,
      blocks: recorded(),
    };
  }
  if (pipeline.pipelineHash !== run.pipelineHash) {
    return {
      isCurrent: false,
      note: `pipeline.yaml of ${run.pipelineId} has changed since this run: showing the blocks this run recorded, without their connections.`,
      blocks: recorded(),
    };
  }
  return { isCurrent: true, blocks: pipeline.blocks.map((b) => ({ id: b.id, upstream: [...b.upstream], kind: b.kind, type: b.type })) };
}
