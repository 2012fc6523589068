import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunScope } from '../model/run-events.ts';
import { openProject, type OpenProject } from '../runtime/open-project.ts';
import { planResume } from '../api/retry-failed.ts';
import { parseVars, UsageError } from './usage.ts';
import { resolveProjectDir } from './project-dir.ts';
import { createRunReporter } from './run-reporter.ts';
import { checkConnOverrideNames, parseConnOverrides } from './connections-command.ts';
import { callApi, runThroughServer, serverAnswers } from './remote-run.ts';
import { readServerFile } from '../serve/server-file.ts';
import { runJsonOfResult } from './run-json.ts';
import { planExports, type DryRunReport } from '../dry-run/plan-exports.ts';
import { formatDryRun } from './dry-run-report.ts';

/** `pipewright run <pipeline> …`: runs headless; resolves to the exit code (0 succeeded, 1 failed or cancelled). */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      var: { type: 'string', multiple: true, default: [] },
      conn: { type: 'string', multiple: true, default: [] },
      block: { type: 'string' },
      'with-upstream': { type: 'boolean', default: false },
      downstream: { type: 'boolean', default: false },
      resume: { type: 'string' },
      json: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  const pipelineId = positionals[0];
  if (!pipelineId || positionals.length > 1) throw new UsageError('run takes exactly one pipeline id');
  const scope = parseScope(values.block, values['with-upstream'], values.downstream);
  if (values.resume && values.block) throw new UsageError('--resume runs the blocks the run did not finish: leave out --block');
  const variables = parseVars(values.var);
  const connectionOverrides = parseConnOverrides(values.conn);
  const projectDir = await resolveProjectDir(values.project);
  const reporter = createRunReporter(process.stderr, { isVerbose: values.verbose });
  const controller = new AbortController();
  // The app or `pipewright serve` holds the project (DuckDB has one writer): the run goes through it.
  const advertised = readServerFile(path.join(projectDir, '.pipewright'));
  const server = advertised && (await serverAnswers(advertised)) ? advertised : null;
  if (values['dry-run']) {
    if (values.resume || values['with-upstream'] || values.downstream)
      throw new UsageError('--dry-run plans the exports: it takes --block <export>, --var and --conn only');
    return dryRun({ projectDir, server, pipelineId, variables, connectionOverrides, blockId: values.block, json: values.json });
  }
  if (server) {
    if (values.conn.length > 0)
      throw new UsageError(
        `the project is open in another Pipewright process (PID ${server.pid}), which runs with its own connections: stop it to use --conn`,
      );
    if (values.resume && values.var.length > 0)
      throw new UsageError(
        `the project is open in another Pipewright process (PID ${server.pid}): --resume through it keeps the run's variables, leave out --var`,
      );
    process.stderr.write(`the project is open in another Pipewright process (PID ${server.pid}, ${server.origin}): running through it\n`);
    if (values.resume) {
      const { run: earlier } = await callApi(server, 'runs.get', { runId: values.resume });
      if (!earlier) throw new UsageError(`no run ${values.resume} in this project's history`);
      if (earlier.pipelineId !== pipelineId)
        throw new UsageError(`run ${values.resume} is a run of ${earlier.pipelineId}, not ${pipelineId}`);
    }
    const run = values.resume
      ? { kind: 'resume' as const, runId: values.resume }
      : { kind: 'start' as const, pipelineId, scope, variables };
    return withCancelOnSignal(controller, async () => {
      const result = await runThroughServer(server, run, reporter.onEvent, controller.signal);
      reporter.done();
      if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      return result.status === 'succeeded' ? 0 : 1;
    });
  }
  const open = await openProject(projectDir, { preflight: 'every' });
  try {
    // Before anything runs or is recorded: a misspelt connection name would otherwise be ignored.
    checkConnOverrideNames(connectionOverrides, open.project.connections);
    return await withCancelOnSignal(controller, async () => {
      const request = values.resume
        ? await resumeRequest(open, values.resume, pipelineId, variables)
        : { pipeline: await open.loadPipeline(pipelineId), scope, variables };
      const result = await open.run(
        { ...request, connectionOverrides, trigger: { kind: 'cli', by: os.userInfo().username }, signal: controller.signal },
        reporter.onEvent,
      );
      reporter.done();
      if (values.json) process.stdout.write(`${JSON.stringify(runJsonOfResult(result))}\n`);
      return result.status === 'succeeded' ? 0 : 1;
    });
  } finally {
    await open.close();
  }
}

/** `run --dry-run`: every export block's plan, through the process holding the project when there is one. Exit 1 when a plan failed. */
async function dryRun(args: {
  projectDir: string;
  server: Parameters<typeof callApi>[0] | null;
  pipelineId: string;
  variables: Record<string, string>;
  connectionOverrides: ReturnType<typeof parseConnOverrides>;
  blockId: string | undefined;
  json: boolean;
}): Promise<number> {
  const { server, pipelineId, blockId } = args;
  let report: DryRunReport;
  if (server) {
    if (Object.keys(args.connectionOverrides).length > 0)
      throw new UsageError(`the project is open in another Pipewright process (PID ${server.pid}): stop it to use --conn`);
    report = await callApi(server, 'pipelines.dryRun', { pipelineId, variables: args.variables, ...(blockId ? { blockId } : {}) });
  } else {
    const open = await openProject(args.projectDir);
    try {
      checkConnOverrideNames(args.connectionOverrides, open.project.connections);
      report = await planExports(open, await open.loadPipeline(pipelineId), {
        variables: args.variables,
        overrides: args.connectionOverrides,
        ...(blockId ? { blockId } : {}),
      });
    } finally {
      await open.close();
    }
  }
  process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : formatDryRun(report));
  return report.exports.some((e) => 'error' in e) ? 1 : 0;
}

/** Runs `body` with Ctrl-C (and SIGTERM) aborting `controller`: a second Ctrl-C quits at once. */
async function withCancelOnSignal<T>(controller: AbortController, body: () => Promise<T>): Promise<T> {
  let firstSignalAt = 0;
  const onSigint = () => {
    // npm may forward the terminal's Ctrl-C as a second SIGINT right after the first: count those as one.
    if (controller.signal.aborted && Date.now() - firstSignalAt > 500) process.exit(130);
    if (controller.signal.aborted) return;
    firstSignalAt = Date.now();
    process.stderr.write('\ncancelling the run (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await body();
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** The unfinished blocks of an earlier run (failed, cancelled, interrupted), with its variables and dates; --var wins. */
async function resumeRequest(open: OpenProject, runId: string, pipelineId: string, variables: Record<string, unknown>) {
  const plan = await planResume(open, runId);
  if (plan.pipeline.id !== pipelineId) throw new UsageError(`run ${runId} is a run of ${plan.pipeline.id}, not ${pipelineId}`);
  return { ...plan, variables: { ...plan.variables, ...variables } };
}

function parseScope(block: string | undefined, withUpstream: boolean, downstream: boolean): RunScope {
  if (!block) {
    if (withUpstream || downstream) throw new UsageError('--with-upstream and --downstream go with --block <id>');
    return { kind: 'pipeline' };
  }
  if (withUpstream && downstream) throw new UsageError('choose one of --with-upstream and --downstream');
  if (withUpstream) return { kind: 'with-upstream', block };
  if (downstream) return { kind: 'downstream', block };
  return { kind: 'block', block };
}
