import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadProject } from '../project/load-project.ts';
import { loadPipeline } from '../project/load-pipeline.ts';
import { allowedFolders } from '../project/allowed-paths.ts';
import { makeStatePrivate } from './private-state.ts';
import type { Pipeline, Project } from '../model/project.ts';
import { Workspace } from '../data/workspace.ts';
import { RunStore } from '../history/run-store.ts';
import { createDefaultRegistry } from '../blocks/index.ts';
import type { BlockRegistry } from '../model/registry.ts';
import { runPipeline } from '../engine/run-pipeline.ts';
import { stopLocalEmulators } from '../connections/local-emulators.ts';
import { resolveConnection } from '../connections/resolve-connection.ts';
import { typescriptSandbox } from '../sandbox/code-sandbox.ts';
import type { RunRequest, RunResult } from '../model/engine-types.ts';
import type { RunEvent } from '../model/run-events.ts';
import { RunLauncher } from './run-launcher.ts';
import { AlertDispatcher } from '../alerts/alert-dispatcher.ts';
import { pruneAfterRun } from '../retention/prune-after-run.ts';
import { preflightGate, type PreflightPolicy } from './preflight-gate.ts';
import { checkColumnsGate } from './check-columns-gate.ts';
import { schemaEnvOf } from '../schemas/stored-columns.ts';

/**
 * A project opened for work in this process: its files loaded, its DuckDB workspace and run store open.
 * One process owns a project's workspace at a time (DuckDB has a single writer).
 */
export interface OpenProject {
  project: Project;
  kinds: BlockRegistry;
  workspace: Workspace;
  store: RunStore;
  /** Webhooks and desktop alerts of this project's runs (`onAlert` feeds the API's `alerts.raised`). */
  alerts: AlertDispatcher;
  /** Re-reads and validates a pipeline from disk (files are the source of truth). */
  loadPipeline(id: string): Promise<Pipeline>;
  /** Starts, queues, lists and cancels every run of this process, whatever triggered it. */
  runs: RunLauncher;
  /**
   * Runs a pipeline through `runs`, recording it; `onEvent` sees every event as it happens. Honours the pipeline's
   * max_concurrent_runs: waits for a free slot (on_limit: queue) or rejects with RunLimitReachedError (skip).
   */
  run(request: Omit<RunRequest, 'project'>, onEvent?: (event: RunEvent) => void): Promise<RunResult>;
  /** Runs of the pipeline started through run() in this process that have not finished, queued ones included. */
  activeRuns(pipelineId: string): number;
  close(): Promise<void>;
}

/** Opens the project at `dir`: loads its files, opens `.pipewright/workspace.duckdb` and `.pipewright/history.sqlite`. */
export async function openProject(
  dir: string,
  opts: { readOnlyHistory?: boolean; kinds?: BlockRegistry; preflight?: PreflightPolicy } = {},
): Promise<OpenProject> {
  const project = await loadProject(path.resolve(dir));
  await mkdir(project.stateDir, { recursive: true, mode: 0o700 });
  await makeStatePrivate(project.stateDir); // the folder first, before anything new is written into it
  const kinds = opts.kinds ?? createDefaultRegistry();
  const store = RunStore.open(path.join(project.stateDir, 'history.sqlite'));
  // Alert warnings (a webhook that keeps failing) go into the run's own log, even after the run finished.
  const alerts = new AlertDispatcher({
    project,
    writeLog: (runId, level, message) => store.record({ type: 'log.written', runId, blockId: null, level, message, at: Date.now() }),
  });
  if (opts.readOnlyHistory) {
    await makeStatePrivate(project.stateDir);
    return {
      project,
      kinds,
      store,
      alerts,
      get workspace(): Workspace {
        throw new Error('this project was opened for history only');
      },
      loadPipeline: (id) => loadPipeline(project, id, kinds),
      runs: new RunLauncher(() => Promise.reject(new Error('this project was opened for history only'))),
      run: () => Promise.reject(new Error('this project was opened for history only')),
      activeRuns: () => 0,
      close: async () => {
        await alerts.close(0);
        store.close();
      },
    };
  }
  const engine = project.settings.engine;
  let workspace: Workspace;
  try {
    workspace = await Workspace.open({
      path: path.join(project.stateDir, 'workspace.duckdb'),
      ...(engine.threads ? { threads: engine.threads } : {}),
      ...(engine.memory_limit ? { memoryLimit: engine.memory_limit } : {}),
      ...(engine.preserve_insertion_order !== undefined ? { preserveInsertionOrder: engine.preserve_insertion_order } : {}),
      spillDir: engine.spill_dir ? path.resolve(project.dir, engine.spill_dir) : path.join(project.stateDir, 'spill'),
      keepOutputs: project.settings.retention?.outputs_keep_last ?? 1,
      // SQL reads and writes files only in the project (its cache and temp folders included) and allowed_paths.
      allowedDirectories: allowedFolders(project),
    });
  } catch (error) {
    await alerts.close(0);
    store.close();
    throw error;
  }
  await makeStatePrivate(project.stateDir);
  const preflight = preflightGate({ project, kinds, workspace, loadPipeline: (id) => loadPipeline(project, id, kinds) }, opts.preflight);
  const checkColumns = checkColumnsGate(schemaEnvOf({ project, kinds, workspace }));
  // Every run of this process goes through one launcher: close() cancels them and waits, so nothing writes to a
  // closed store or workspace, and runs.cancel reaches a run whatever started it.
  const runs = new RunLauncher(async (request, onEvent) => {
    // A cloud pipeline is checked before it moves data (pipewright check), per the process's preflight policy.
    await preflight(request);
    // A check naming a column its block does not produce is refused before anything runs.
    await checkColumns(request);
    const observe = alerts.observe(request.pipeline);
    const notify = (event: RunEvent) => {
      observe(event);
      onEvent(event);
    };
    const result = await runPipeline(
      { ...request, project },
      { workspace, kinds, connections: resolveConnection, sandbox: typescriptSandbox, recorder: store, onEvent: notify },
    );
    await pruneAfterRun({ project, store, workspace }, result.runId);
    return result;
  });
  return {
    project,
    kinds,
    workspace,
    store,
    alerts,
    runs,
    loadPipeline: (id) => loadPipeline(project, id, kinds),
    run: (request, onEvent) => runs.run(request, onEvent),
    activeRuns: (pipelineId) => runs.activeRuns(pipelineId),
    close: async () => {
      await runs.cancelAll();
      await alerts.close(); // bounded: a webhook that keeps failing delays closing by at most its wait
      await workspace.close();
      store.close();
      await stopLocalEmulators(project.stateDir); // the GCS/BigQuery emulators runs started in this process
    },
  };
}
