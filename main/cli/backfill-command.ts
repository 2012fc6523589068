import { parseArgs } from 'node:util';
import { openProject } from '../runtime/open-project.ts';
import { planBackfill, type BackfillEvery } from '../orchestration/backfill-plan.ts';
import { failedIntervals, intervalOrigins, newBackfillId, runBackfill } from '../orchestration/run-backfill.ts';
import { parseVars, UsageError } from './usage.ts';
import { resolveProjectDir } from './project-dir.ts';

/**
 * `pipewright backfill <pipeline> --from D --to D --every day|week|month`: one run per interval (end date inclusive);
 * resolves to 0 when every run succeeded, 1 otherwise. `--dry-run` lists the runs; `--retry-failed <id>` re-runs only
 * that backfill's intervals whose latest run did not succeed.
 */
export async function backfillCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      every: { type: 'string', default: 'day' },
      concurrency: { type: 'string', default: '1' },
      'dry-run': { type: 'boolean', default: false },
      'retry-failed': { type: 'string' },
      var: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
    },
  });
  const pipelineId = positionals[0];
  if (!pipelineId || positionals.length > 1) throw new UsageError('backfill takes exactly one pipeline id');
  if (!values.from || !values.to) throw new UsageError('backfill needs --from YYYY-MM-DD and --to YYYY-MM-DD');
  if (!['day', 'week', 'month'].includes(values.every)) throw new UsageError('--every takes day, week or month');
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32)
    throw new UsageError('--concurrency takes a whole number from 1 to 32');
  let intervals = planBackfill(values.from, values.to, values.every as BackfillEvery);
  const open = await openProject(await resolveProjectDir(values.project));
  try {
    const pipeline = await open.loadPipeline(pipelineId);
    const backfillId = values['retry-failed'] ?? newBackfillId();
    if (values['retry-failed']) {
      const failed = new Set(failedIntervals(open, pipelineId, backfillId));
      const origins = intervalOrigins(open, pipelineId, backfillId);
      intervals = intervals.filter((i) => failed.has(i.label)).map((i) => ({ ...i, origin: origins.get(i.label) }));
    }
    if (values['dry-run']) {
      const planned = intervals.map((i) => ({
        execution_date: i.start.toISOString(),
        interval_start: i.label,
        interval_end: i.end.toISOString().slice(0, 10),
      }));
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ backfillId, pipeline: pipelineId, runs: planned })}\n`
          : planned.map((p) => `${p.interval_start} → ${p.interval_end}\n`).join('') + `${planned.length} runs would be created\n`,
      );
      return 0;
    }
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.on('SIGINT', onSigint);
    try {
      process.stderr.write(`backfill ${backfillId}: ${intervals.length} runs of ${pipelineId}, ${concurrency} at a time\n`);
      const result = await runBackfill({
        open,
        pipeline,
        intervals,
        backfillId,
        concurrency,
        variables: parseVars(values.var),
        signal: controller.signal,
        onProgress: (p) => process.stderr.write(`${p.done}/${p.total} done, ${p.failed} failed — ${p.last?.interval} ${p.last?.status}\n`),
      });
      if (values.json) process.stdout.write(`${JSON.stringify({ ...result, pipeline: pipelineId })}\n`);
      const failed = result.runs.filter((r) => r.status !== 'succeeded').length;
      if (failed > 0) process.stderr.write(`${failed} interval(s) failed: retry them with --retry-failed ${backfillId}\n`);
      return failed === 0 && result.runs.length === intervals.length ? 0 : 1;
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    await open.close();
  }
}
