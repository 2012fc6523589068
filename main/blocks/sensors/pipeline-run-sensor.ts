import path from 'node:path';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { UserError } from '../../model/errors.ts';
import type { BlockKind } from '../../model/block-kind.ts';
import { RunQueries, type RunSummary } from '../../history/run-queries.ts';
import { pollFields, pollUntilFound } from './poll.ts';

const configSchema = z.strictObject({
  /** The pipeline (of this project) whose latest finished run must have succeeded. */
  pipeline: z.string().min(1),
  /** Also require that run to have finished at or after this run's execution_date. */
  since_execution_date: z.boolean().default(false),
  ...pollFields,
});

/** Waits until another pipeline's latest finished run succeeded (read from the project's run history). */
export const pipelineRunSensor: BlockKind<z.infer<typeof configSchema>> = {
  type: 'sensor',
  kind: 'pipeline_run',
  title: 'Wait for another pipeline to succeed',
  configSchema,
  code: 'none',
  run(ctx, config) {
    const file = path.join(ctx.project.stateDir, 'history.sqlite');
    const since = config.since_execution_date ? Date.parse(String(ctx.variables.execution_date)) : undefined;
    if (since !== undefined && Number.isNaN(since))
      throw new UserError('since_execution_date: this run has no execution_date', {
        block: ctx.block.id,
        path: 'config.since_execution_date',
      });
    const what = `a successful run of ${config.pipeline}${since !== undefined ? ` finished since ${new Date(since).toISOString()}` : ''}`;
    return pollUntilFound(ctx, config, what, async () => {
      const latest = latestFinishedRun(file, config.pipeline);
      if (!latest || latest.status !== 'succeeded' || latest.finishedAt === null) return undefined;
      if (since !== undefined && latest.finishedAt < since) return undefined;
      return `run ${latest.id} (succeeded ${new Date(latest.finishedAt).toISOString()})`;
    });
  },
};

/** The pipeline's newest run that is no longer running, read on a short-lived read-only connection. */
function latestFinishedRun(file: string, pipelineId: string): RunSummary | undefined {
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const queries = new RunQueries(db);
    for (let offset = 0; ; offset += 20) {
      const runs = queries.listRuns({ pipelineId, limit: 20, offset });
      const finished = runs.find((run) => run.status !== 'running');
      if (finished || runs.length < 20) return finished;
    }
  } finally {
    db.close();
  }
}
