import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { Project } from '../model/project.ts';
import type { RunStore } from '../history/run-store.ts';
import type { Workspace } from '../data/workspace.ts';
import { chooseOutputsToDrop } from './output-policy.ts';
import type { StoredOutput } from '../data/stored-outputs.ts';

const DAY_MS = 86_400_000;
const GB = 1024 ** 3;

/** What a prune deleted (or, dry, would delete). */
export interface PruneReport {
  runs: number;
  logs: number;
  outputs: StoredOutput[];
  /** Bytes the dropped outputs occupied (approximate). */
  outputBytes: number;
}

export interface PruneTarget {
  project: Project;
  store: RunStore;
  /** Absent when the workspace is not open here (outputs are then left alone). */
  workspace?: Workspace;
}

/** Applies the project's `retention:` settings: old runs and logs from the run store, old and excess outputs from the workspace. */
export async function pruneProject(target: PruneTarget, opts: { isDryRun?: boolean; now?: number } = {}): Promise<PruneReport> {
  const retention = target.project.settings.retention ?? {};
  const now = opts.now ?? Date.now();
  const history = target.store.prune({
    ...(retention.runs_days !== undefined ? { runsBefore: now - retention.runs_days * DAY_MS } : {}),
    ...(retention.logs_days !== undefined ? { logsBefore: now - retention.logs_days * DAY_MS } : {}),
    ...(opts.isDryRun ? { isDryRun: true } : {}),
  });
  const outputs = await pruneOutputs(target, retention.outputs_keep_last, retention.outputs_max_gb, opts.isDryRun ?? false);
  return { ...history, outputs, outputBytes: outputs.reduce((sum, o) => sum + o.bytes, 0) };
}

async function pruneOutputs(
  target: PruneTarget,
  keepLast: number | undefined,
  maxGb: number | undefined,
  isDryRun: boolean,
): Promise<StoredOutput[]> {
  if (!target.workspace || (keepLast === undefined && maxGb === undefined)) return [];
  const live = await readLiveBlocks(target.project);
  const policy = {
    ...(keepLast !== undefined ? { keepLast } : {}),
    ...(maxGb !== undefined ? { maxBytes: maxGb * GB } : {}),
    isLiveBlock: (pipelineId: string, blockId: string) => {
      const blocks = live.get(pipelineId);
      if (blocks === null) return undefined; // the pipeline's file does not load: protect its outputs
      // A dynamic block's children (`load[3]`) live as long as the block does.
      return blocks?.has(blockId.replace(/\[\d+\]$/, '')) ?? false;
    },
  };
  let planned: StoredOutput[] = [];
  const dropped = await target.workspace.pruneOutputs((outputs) => {
    planned = chooseOutputsToDrop(outputs, policy);
    return isDryRun ? [] : planned;
  });
  return isDryRun ? planned : dropped;
}

/**
 * Block ids per pipeline, read from the pipeline files as they are now (null for a file that does not parse).
 * Read fresh, not from the project loaded at start: a pipeline added since must not look deleted.
 */
async function readLiveBlocks(project: Project): Promise<Map<string, Set<string> | null>> {
  const dir = path.join(project.dir, 'pipelines');
  const live = new Map<string, Set<string> | null>();
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    try {
      const spec = parse(await readFile(path.join(dir, entry.name, 'pipeline.yaml'), 'utf8')) as { blocks?: { id?: unknown }[] };
      live.set(entry.name, new Set((spec.blocks ?? []).map((b) => String(b.id))));
    } catch {
      live.set(entry.name, null); // unreadable or invalid: unknown blocks, so nothing of this pipeline counts as deleted
    }
  }
  return live;
}
