import { z } from 'zod';

const id = z.string().min(1).max(200);
const variables = z.record(z.string(), z.string()).default({});

/** Params of the design-time methods (schemas, lineage, export plans); contract.ts lists them among its methods. */
export const designMethods = {
  /** Every block's output columns before running (SQL bound over upstream schemas, file headers, declared or last run), with problems found (SQL errors at their line, checks naming missing columns). */
  'pipelines.schemas': z.strictObject({ pipelineId: id, variables }),
} as const;

/** Export plans: `pipelines.dryRun`. */
export const dryRunMethods = {
  /** What each export block (or only `blockId`) would do, without writing: destination, DDL, mode, rows and partitions, objects written and removed, the BigQuery job, schema differences with the policy's answer. */
  'pipelines.dryRun': z.strictObject({ pipelineId: id, variables, blockId: id.optional() }),
} as const;

/** Result types of the design-time methods, for the renderer (types only). */
export type { BlockSchema, SchemaProblem } from '../schemas/design-schemas.ts';
export type { PipelineSchemas } from './design-handlers.ts';
export type { DryRunReport } from '../dry-run/plan-exports.ts';
export type { ExportPlan, SchemaDiff } from '../model/design-types.ts';
export type { ColumnLineage } from '../data/column-lineage.ts';
