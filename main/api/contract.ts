import { z } from 'zod';
import { MAX_CODE_BYTES } from './call-limits.ts';
import { UserError } from '../model/errors.ts';
import { editMethods } from './edit-contract.ts';
import { connectionsMethods } from './connections-contract.ts';
import { backfillsMethods } from './backfill-handlers.ts';
import { schedulesMethods } from './schedules-handlers.ts';
import { designMethods, dryRunMethods } from './design-contract.ts';
import { consoleMethods } from './console-history.ts';
import { projectsMethods } from './projects-handlers.ts';

/**
 * The one API contract between the engine and every shell (Electron IPC, `pipewright serve`, tests).
 * Methods read as `area.verb`, events as `area.pastTense`. Params are validated here, at the boundary;
 * results are typed for the renderer, which imports this file as types only.
 */

const id = z.string().min(1).max(200);
const scope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('pipeline') }),
  z.strictObject({ kind: z.literal('block'), block: id }),
  z.strictObject({ kind: z.literal('with-upstream'), block: id }),
  z.strictObject({ kind: z.literal('downstream'), block: id }),
  z.strictObject({ kind: z.literal('blocks'), blocks: z.array(id).min(1).max(10_000) }),
]);
const window = z.strictObject({
  offset: z.number().int().min(0),
  limit: z.number().int().min(1).max(10_000),
  orderBy: z
    .array(z.strictObject({ column: z.string(), descending: z.boolean().optional() }))
    .max(8)
    .optional(),
  filter: z.string().max(10_000).optional(),
});

export const methods = {
  /** Versions of the app and its runtime. */
  'app.info': z.strictObject({}),
  /** Pipelines of the open project (ids). */
  'pipelines.list': z.strictObject({}),
  /** One pipeline, loaded and validated from disk. Rejects with the file's error when it is invalid. */
  'pipelines.get': z.strictObject({ pipelineId: id }),
  /** Checks the pipeline's Postgres, GCS and BigQuery blocks without writing; resolves with a per-block checklist. */
  'pipelines.check': z.strictObject({ pipelineId: id, variables: z.record(z.string(), z.string()).default({}) }),
  /** Resolves when the run is started (with its id), not when it finishes; follow it with `runs.event`. */
  'runs.start': z.strictObject({
    pipelineId: id,
    scope: scope.default({ kind: 'pipeline' }),
    variables: z.record(z.string(), z.string()).default({}),
    /** Recorded as the run's trigger: `cli` when `pipewright run` handed its run to the process holding the project. */
    via: z.enum(['app', 'cli']).default('app'),
  }),
  /** Asks a running or queued run to stop, whatever started it; resolves at once with `cancelling: false` when no such run is live (the run ends `cancelled` shortly after). */
  'runs.cancel': z.strictObject({ runId: id }),
  /** Recorded runs, newest first. */
  'runs.list': z.strictObject({
    pipelineId: id.optional(),
    limit: z.number().int().min(1).max(1000).default(50),
    offset: z.number().int().min(0).default(0),
  }),
  /** One run with its top-level blocks and their attempts, or null; a fanned-out block carries its children's counts by status, not the children (page them with `runs.children`). */
  'runs.get': z.strictObject({ runId: id }),
  /** A page of a fanned-out block's dynamic children in index order: from, after or before an index, optionally of some statuses only. */
  'runs.children': z.strictObject({
    runId: id,
    blockId: id,
    statuses: z
      .array(z.enum(['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'upstream_failed', 'interrupted']))
      .max(9)
      .optional(),
    fromIndex: z.number().int().min(0).optional(),
    afterIndex: z.number().int().min(-1).optional(),
    beforeIndex: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(500).default(50),
  }),
  /** A run's logs, optionally for one block, after a log id (for tailing); `topLevel` leaves out dynamic children's lines. */
  'runs.logs': z.strictObject({
    runId: id,
    blockId: id.optional(),
    topLevel: z.boolean().optional(),
    afterId: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(10_000).default(1000),
  }),
  /** Schema, total rows and a window of a block's latest output as Arrow IPC bytes. */
  /** A window of a block's latest output; with `runId`, of the output that run published, while it is kept. */
  'outputs.preview': z.strictObject({ pipelineId: id, blockId: id, window, runId: z.string().min(1).max(200).optional() }),
  /** The blocks whose output from this run is still stored (retention.outputs_keep_last), with their row counts. */
  'outputs.ofRun': z.strictObject({ pipelineId: id, runId: z.string().min(1).max(200) }),
  /** Row count and schema of a block's output over its last successful runs, newest first (the drift baselines). */
  'outputs.statsHistory': z.strictObject({ pipelineId: id, blockId: id, limit: z.number().int().min(1).max(200).default(20) }),
  /** Per-column profile of a block's latest output (nulls, distinct, min/max, histogram), computed in DuckDB. */
  'outputs.profile': z.strictObject({ pipelineId: id, blockId: id }),
  /** Ad-hoc SQL over the workspace, windowed like a preview. */
  'workspace.query': z.strictObject({ sql: z.string().min(1).max(100_000), window: window.pick({ offset: true, limit: true }) }),
  /** Every trigger of the project (optionally of one pipeline) with its next five fire times; unreadable pipelines in `problems`. */
  'triggers.list': z.strictObject({ pipelineId: id.optional() }),
  /** A block's code file as on disk now, with its sha256 (the `expectedHash` of a later save). */
  'blocks.readCode': z.strictObject({ pipelineId: id, blockId: id }),
  /** Writes a block's code file atomically; with `expectedHash`, refuses (place.path `expectedHash`) when the file changed on disk. */
  'blocks.saveCode': z.strictObject({
    pipelineId: id,
    blockId: id,
    text: z
      .string()
      .refine((t) => new TextEncoder().encode(t).length <= MAX_CODE_BYTES, `at most ${MAX_CODE_BYTES / 1024 / 1024} MB of code`),
    expectedHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  }),
  ...editMethods,
  ...connectionsMethods,
  ...backfillsMethods,
  ...schedulesMethods,
  ...designMethods,
  ...dryRunMethods,
  ...consoleMethods,
  ...projectsMethods,
} as const;

export type MethodName = keyof typeof methods;
export type MethodParams<M extends MethodName> = z.input<(typeof methods)[M]>;

/** Events pushed to every connected shell. */
export const events = {
  /** Every run event as it happens (see main/model/run-events.ts). */
  'runs.event': true,
  /** A pipeline's files changed on disk. */
  'pipelines.changed': true,
  /** Raised by the transport itself, not the engine: the event stream came back after a drop, so reload what you show. */
  'connection.restored': true,
  /** An alert with `desktop: true` fired (run failed, succeeded, retried or missed its SLA); payload: main/alerts/alert-message.ts Alert. */
  'alerts.raised': true,
  /** A backfill's progress (`done`/`total`, `failed`, the last interval); payload: main/api/backfill-handlers.ts BackfillProgressEvent. */
  'backfills.progress': true,
  /** A run (any trigger) waits behind max_concurrent_runs (`queued: true`), or stopped waiting (started or cancelled); payload: main/api/handlers.ts RunQueueEvent. */
  'runs.queue': true,
  /** Schedules were paused or resumed; payload: main/api/schedules-handlers.ts SchedulesStatus. */
  'schedules.changed': true,
} as const;
export type EventName = keyof typeof events;

/** Validates a call's params against the contract; throws a UserError-shaped message naming the field. */
export function parseParams<M extends MethodName>(method: M, params: unknown): z.output<(typeof methods)[M]> {
  const schema = methods[method];
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ContractError(`${method}: ${issue?.path.join('.') || 'params'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as z.output<(typeof methods)[M]>;
}

/** Tells whether a string names a method of the contract. */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}

/** A call that does not fit the contract: unknown method or bad params. */
export class ContractError extends UserError {}
