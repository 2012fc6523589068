import { z } from 'zod';

const id = z.string().min(1).max(200);
const variables = z.record(z.string(), z.string()).default({});

/** Params of the design-time methods (schemas, lineage, export plans); contract.ts lists them among its methods. */
export const designMethods = {
  /** Every block's output columns before running (SQL bound over upstream schemas, file headers, declared or last run), with problems found (SQL errors at their line, checks naming missing columns). */
  'pipelines.schemas': z.strictObject({ pipelineId: id, variables }),
} as const;
