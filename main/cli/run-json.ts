import type { RunResult } from '../model/engine-types.ts';
import type { RunDetail } from '../history/run-queries.ts';
import { formatError } from '../model/errors.ts';

/**
 * The one `--json` shape of `pipewright run`, whether the run happened in this process or in the app or serve holding
 * the project (test/cli-handoff.test.ts compares the two). Errors are one readable line each.
 */
export interface RunJson {
  runId: string;
  pipeline: string;
  status: string;
  durationMs: number | null;
  blocks: { id: string; status: string; rows: number | null; durationMs: number | null; attempts: number; error: string | null }[];
}

/** A run of this process, from the engine's result. */
export function runJsonOfResult(result: RunResult): RunJson {
  return {
    runId: result.runId,
    pipeline: result.pipeline,
    status: result.status,
    durationMs: result.durationMs,
    blocks: result.blocks.map((b) => ({
      id: b.id,
      status: b.status,
      rows: b.rows,
      durationMs: b.durationMs,
      attempts: b.attempts,
      error: b.error ? formatError(b.error) : null,
    })),
  };
}

/** A run handed over to another process, from its record (`runs.get`). */
export function runJsonOfRecord(run: RunDetail): RunJson {
  return {
    runId: run.id,
    pipeline: run.pipelineId,
    status: run.status,
    durationMs: run.durationMs,
    blocks: run.blocks.map((b) => ({
      id: b.blockId,
      status: b.status,
      rows: b.rowsOut,
      durationMs: b.durationMs,
      attempts: b.attempts,
      error: b.error ? formatError(b.error) : null,
    })),
  };
}
