import os from 'node:os';
import { z } from 'zod';
import { triggersSchema } from './trigger-schema.ts';
import { alertRuleSchema, slaSchema } from './alert-schema.ts';
import { retentionSchema } from './retention-schema.ts';
import { blockCheckSchema, driftSchema } from './check-schema.ts';

/**
 * Schemas of the project files. These are the single definition: the loader validates with them, the
 * engine reads their types, and (later) the UI generates config forms from them. Unknown keys are errors.
 */

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _ only, not starting with a digit')
  .max(63, 'at most 63 characters');

/** Mage-like retry settings; merged project → pipeline → block, most specific wins. */
export const retryConfigSchema = z.strictObject({
  /** Attempts after the first one. */
  retries: z.number().int().min(0).max(20).optional(),
  /** First delay in seconds. */
  delay: z.number().min(0).max(3600).optional(),
  /** Cap on any delay, in seconds. */
  max_delay: z.number().min(0).max(86_400).optional(),
  exponential_backoff: z.boolean().optional(),
});
export type RetryConfig = z.infer<typeof retryConfigSchema>;

/** Seconds; `none` (or 0) turns the timeout off. Parsed to null for "off", so the default never applies then. */
const timeoutSecondsSchema = z.preprocess(
  (value) => (value === 'none' || value === 0 ? null : value),
  z.number().positive().max(2_000_000).nullable(),
);

const SIZE_UNITS: Record<string, number> = { kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** A memory limit past the machine's memory is a typo (999999TB), and DuckDB would accept it and swap or die. */
function checkFitsMemory(value: string, ctx: z.RefinementCtx): void {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(value);
  const bytes = match ? Number(match[1]) * (SIZE_UNITS[match[2]?.toLowerCase() ?? ''] ?? NaN) : NaN;
  const total = os.totalmem();
  if (!(bytes > total)) return;
  ctx.addIssue({
    code: 'custom',
    message: `${value} is more than this machine's memory (${(total / 2 ** 30).toFixed(1)} GiB): use a size such as ${Math.max(1, Math.floor(total / 2 ** 30 / 2))}GB`,
  });
}

export const engineSettingsSchema = z.strictObject({
  /** Blocks of one run that may execute at once. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** DuckDB threads; default: DuckDB's own (number of cores). */
  threads: z.number().int().min(1).max(256).optional(),
  /** DuckDB memory limit, e.g. "2GB"; at most this machine's memory. */
  memory_limit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as 512MB or 4GB')
    .superRefine(checkFitsMemory)
    .optional(),
  /** Where DuckDB spills to disk past memory_limit, relative to the project; default `.pipewright/spill`. */
  spill_dir: z.string().min(1).optional(),
  /** Keep source row order in block outputs (slower loads, more memory); default false. */
  preserve_insertion_order: z.boolean().optional(),
  retry: retryConfigSchema.optional(),
  /** Default per-block timeout in seconds (absent: DEFAULT_BLOCK_TIMEOUT_S, sensors excepted); `none` or 0 turns it off. */
  block_timeout: timeoutSecondsSchema.optional(),
});
export type EngineSettings = z.infer<typeof engineSettingsSchema>;

/** `pipewright.yaml` at the project root. */
export const projectFileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  engine: engineSettingsSchema.default({ concurrency: 4 }),
  /** Default connection name per connector type, e.g. `{ postgres: local_pg }`. */
  default_connections: z.record(z.string(), z.string()).optional(),
  /** Webhooks and desktop notifications on run failure, success, retry or SLA miss (main/model/alert-schema.ts). */
  alerts: z.array(alertRuleSchema).optional(),
  /** How long runs, logs and block outputs are kept (main/model/retention-schema.ts). */
  retention: retentionSchema.optional(),
  /** The interpreter of Python blocks: a path relative to the project (`.venv/bin/python`) or a command; default python3. */
  python: z.string().min(1).optional(),
  /** Folders outside the project that blocks and SQL may read and write (absolute, or relative to the project). */
  allowed_paths: z.array(z.string().min(1)).optional(),
  /** BigQuery: the most bytes a pushed-down block may process (its dry run is refused past it); a block's config may set its own. */
  maximum_bytes_billed: z.number().int().positive().optional(),
});
export type ProjectFile = z.infer<typeof projectFileSchema>;

/** `connections.yaml`: profiles are validated by their connector when used; here only their outline. */
export const connectionsFileSchema = z.record(identifier, z.looseObject({ type: z.string().min(1) }));
export type ConnectionsFile = z.infer<typeof connectionsFileSchema>;

const variableValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const variableSpecSchema = z.union([variableValue, z.strictObject({ default: variableValue, description: z.string().optional() })]);

/** A data test on a block's output: a SQL query that must return no rows, or a TS function. */
export const blockTestSchema = z.union([
  z.strictObject({ name: z.string().min(1), sql: z.string().min(1) }),
  z.strictObject({
    name: z.string().min(1),
    /** A .ts file under the project exporting `test(output: arrow.Table)` that throws on failure. */
    file: z.string().min(1),
    /** Export name inside the file; default `test`. */
    export: z.string().optional(),
  }),
]);
export type BlockTestSpec = z.infer<typeof blockTestSchema>;

/** When a block runs: a boolean SQL expression over an upstream output, or a TypeScript function. */
export const blockConditionSchema = z.union([
  z.strictObject({
    /** Evaluated as `SELECT <sql> FROM <over>`: one row, a boolean (NULL counts as false), e.g. `count(*) > 0`. */
    sql: z.string().min(1),
    /** The upstream block whose output the expression reads. */
    over: identifier,
  }),
  z.strictObject({
    /** A .ts file under the project whose default export is `(ctx) => boolean | Promise<boolean>`. */
    typescript: z.string().min(1),
    /** Export name inside the file; default `default`. */
    export: z.string().min(1).optional(),
  }),
  z.strictObject({
    /** A .py file under the project with a function decorated @condition (Mage's), returning True or False. */
    python: z.string().min(1),
    /** The function to call instead of the @condition one. */
    function: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python function name')
      .optional(),
  }),
]);
export type BlockCondition = z.infer<typeof blockConditionSchema>;

export const blockTypeSchema = z.enum(['source', 'transform', 'export', 'sensor']);

/** Where a SQL block runs: the local DuckDB (default) or inside a warehouse (main/pushdown/). */
export const sqlEngineSchema = z.enum(['duckdb', 'bigquery', 'postgres']);
export type SqlEngine = z.infer<typeof sqlEngineSchema>;
export type BlockType = z.infer<typeof blockTypeSchema>;

/** One block in `pipeline.yaml`. `config` is validated by the block kind's own schema. */
export const blockSpecSchema = z.strictObject({
  id: identifier,
  type: blockTypeSchema,
  kind: z.string().min(1),
  /** Code file for sql/typescript blocks, relative to the project root (e.g. `blocks/clean.sql`). */
  file: z.string().min(1).optional(),
  upstream: z.array(identifier).default([]),
  config: z.record(z.string(), z.unknown()).default({}),
  /** SQL transforms and table sources: where the SQL runs (default: the pipeline's engine, else duckdb). */
  engine: sqlEngineSchema.optional(),
  /** The warehouse connection of a pushed-down block (default: the pipeline's, else default_connections.<engine>). */
  connection: z.string().min(1).optional(),
  retry: retryConfigSchema.optional(),
  /** Seconds per attempt; `none` or 0 for no timeout (default: the project's block_timeout). */
  timeout: timeoutSecondsSchema.optional(),
  tests: z.array(blockTestSchema).default([]),
  /** Declarative checks of the block's output (main/model/check-schema.ts); each warns or fails the block. */
  checks: z.array(blockCheckSchema).optional(),
  /** Tolerances against the block's previous successful run: rows, schema, null rates. */
  drift: driftSchema.optional(),
  /** The output's columns and DuckDB types, declared for design time (TypeScript and Python blocks): `{ id: BIGINT }`. */
  schema: z.record(z.string().min(1), z.string().min(1)).optional(),
  description: z.string().optional(),
  /** Run the block only when this holds; when it does not, the block and its downstream are skipped. */
  condition: blockConditionSchema.optional(),
  /** The block's output is a list: its direct downstream blocks run once per row, with `{{ item.<column> }}`. */
  dynamic: z.boolean().optional(),
  /** On a block fanned out by a dynamic block: its own output is the union (by column name) of its children's. */
  reduce: z.boolean().optional(),
});
export type BlockSpec = z.infer<typeof blockSpecSchema>;

/** `pipelines/<id>/pipeline.yaml`: logic only; positions live in layout.json beside it. */
export const pipelineFileSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  variables: z.record(identifier, variableSpecSchema).default({}),
  retry: retryConfigSchema.optional(),
  /** Where this pipeline's SQL transforms run unless a block says otherwise (default duckdb). */
  engine: sqlEngineSchema.optional(),
  /** The warehouse connection of its pushed-down blocks unless a block names one. */
  connection: z.string().min(1).optional(),
  /** Overrides the project's engine.concurrency for this pipeline. */
  concurrency: z.number().int().min(1).max(64).optional(),
  /** Runs of this pipeline that may go on at once in one process (app, API, schedules, backfills); unlimited when absent. */
  max_concurrent_runs: z.number().int().min(1).max(64).optional(),
  /** What a run beyond max_concurrent_runs does: wait for a free slot (queue) or not start (skip). */
  on_limit: z.enum(['queue', 'skip']).optional(),
  /** Schedules and API triggers (main/model/trigger-schema.ts). */
  triggers: triggersSchema.optional(),
  /** Alerts for this pipeline only, on top of the project's. */
  alerts: z.array(alertRuleSchema).optional(),
  /** Alert (sla_miss) once when a run is still going after max_duration_minutes. */
  sla: slaSchema.optional(),
  blocks: z.array(blockSpecSchema).min(1, 'a pipeline needs at least one block'),
});
export type PipelineFile = z.infer<typeof pipelineFileSchema>;

/** `pipelines/<id>/layout.json`: canvas positions only. */
export const layoutFileSchema = z.strictObject({
  nodes: z.record(z.string(), z.strictObject({ x: z.number(), y: z.number() })).default({}),
});
export type LayoutFile = z.infer<typeof layoutFileSchema>;
