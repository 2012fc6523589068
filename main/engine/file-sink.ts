import { rm } from 'node:fs/promises';
import type { FileSink, FileStage, StagedFiles } from '../model/block-kind.ts';
import type { LoadedBlock } from '../model/project.ts';
import { dataUpstreamOf } from '../model/plan.ts';
import { UserError } from '../model/errors.ts';
import type { RunEnv } from './block-runner.ts';
import { parseConfig } from './block-config.ts';

/**
 * A SQL block read by one file export writes that export's files as it runs (see BlockContext.fileSink); this is the
 * engine's side: which pairs qualify, the staged files of the run by export, and their removal when unused.
 */

/** Files staged for an export in this run: by the block that wrote them, rows once written. */
export type StagedExports = Map<string, { stage: FileStage; by: string; rows?: number }>;

/**
 * The export that alone reads `block` in this run, when `block` is a DuckDB SQL block of its own (not fanned out) and
 * the export runs in this run, not fanned out; whether the export can take staged files is its kind's to say.
 */
export function soleExportReader(
  block: LoadedBlock,
  blocks: readonly LoadedBlock[],
  selected?: ReadonlySet<string>,
): LoadedBlock | undefined {
  if (block.type !== 'transform' || block.kind !== 'sql' || (block.engine !== undefined && block.engine !== 'duckdb')) return undefined;
  if (block.dynamic || block.upstream.some((up) => blocks.find((b) => b.id === up)?.dynamic === true)) return undefined;
  const readers = blocks.filter((b) => b.id !== block.id && dataUpstreamOf(b, blocks).includes(block.id));
  const [only] = readers;
  if (readers.length !== 1 || only === undefined || only.type !== 'export' || only.dynamic) return undefined;
  return (selected?.has(only.id) ?? true) ? only : undefined;
}

/** The sink of `block`'s attempt, or undefined (no sole export reader, a fan-out child's attempt, or a kind without staging). */
export function fileSinkFor(env: RunEnv, block: LoadedBlock): FileSink | undefined {
  const staged = env.stagedExports;
  // A fan-out child writes into its fan-out's outputs, never an export's files.
  if (!staged || env.outputs) return undefined;
  const reader = soleExportReader(block, env.pipeline.blocks, env.selectedBlocks);
  if (!reader) return undefined;
  const kind = env.kindOf(reader);
  const stageFiles = kind.stageFiles?.bind(kind);
  if (!stageFiles) return undefined;
  return {
    exportId: reader.id,
    stage: async () => {
      let config: unknown;
      try {
        config = parseConfig(kind, reader, env.variables);
      } catch (error) {
        if (error instanceof UserError) return undefined; // the export reports its own config when it runs
        throw error;
      }
      const { settledRunIds } = env;
      const stage = await stageFiles(
        { project: env.project, block: reader, runId: env.runId, ...(settledRunIds ? { settledRunIds } : {}) },
        config,
      );
      // Recorded before anything is written, so a failure from here on removes it.
      if (stage) staged.set(reader.id, { stage, by: block.id });
      return stage;
    },
    staged: (stage, rows) => staged.set(reader.id, { stage, by: block.id, rows }),
    abandon: async (stage) => {
      staged.delete(reader.id);
      await rm(stage.path, { recursive: true, force: true });
    },
  };
}

/** What `block` (an export) finds staged for it by its upstream in this run, once written. */
export function stagedFilesFor(env: RunEnv, block: LoadedBlock): StagedFiles | undefined {
  const entry = env.stagedExports?.get(block.id);
  if (!entry || entry.rows === undefined || !block.upstream.includes(entry.by)) return undefined;
  return { ...entry.stage, by: entry.by, rows: entry.rows };
}

/** Removes what `blockId`'s failed attempt staged (its next attempt stages afresh; its export will not run on it). */
export function discardStagedBy(env: RunEnv, blockId: string): Promise<void> {
  return removeStaged(env, (entry) => entry.by === blockId);
}

/** At the end of the run: staging no export moved into place (it failed, was skipped or cancelled) is removed. */
export function removeUnusedStaging(env: RunEnv): Promise<void> {
  return removeStaged(env, () => true);
}

async function removeStaged(env: RunEnv, isRemoved: (entry: { by: string }) => boolean): Promise<void> {
  for (const [exportId, entry] of env.stagedExports ?? []) {
    if (!isRemoved(entry)) continue;
    env.stagedExports?.delete(exportId);
    await rm(entry.stage.path, { recursive: true, force: true });
  }
}
