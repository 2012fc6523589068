import { UserError } from '../model/errors.ts';
import type { RunRequest } from '../model/engine-types.ts';
import { checkPipeline, failuresOf, touchesCloud } from '../preflight/check-pipeline.ts';

/** `every`: check before each run (the CLI); `first`: before a pipeline's first run in this process (app, serve, schedule). */
export type PreflightPolicy = 'every' | 'first';

type CheckTarget = Parameters<typeof checkPipeline>[0];

/**
 * Runs `pipewright check` before a run of a pipeline with GCS or BigQuery blocks, so a wrong bucket, location or
 * permission stops the run before it moves any data, not halfway. Without a policy (tests, embedded uses) it does
 * nothing. Resolves when the run may go ahead; rejects with every failed check otherwise.
 */
export function preflightGate(
  target: CheckTarget,
  policy: PreflightPolicy | undefined,
): (request: Omit<RunRequest, 'project'>) => Promise<void> {
  const passed = new Set<string>();
  return async (request) => {
    const pipeline = request.pipeline;
    if (!policy || !touchesCloud(pipeline) || (policy === 'first' && passed.has(pipeline.id))) return;
    const report = await checkPipeline(target, pipeline.id, {
      variables: request.variables ?? {},
      ...(request.connectionOverrides ? { overrides: request.connectionOverrides } : {}),
    });
    if (!report.isOk)
      throw new UserError(
        `pipewright check ${pipeline.id} found problems, so nothing ran:\n${failuresOf(report)
          .map((line) => `  ${line}`)
          .join('\n')}`,
      );
    passed.add(pipeline.id);
  };
}
