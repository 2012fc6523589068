import { z } from 'zod';

/** `retention:` in pipewright.yaml. Absent fields keep things forever. */
export const retentionSchema = z.strictObject({
  /** Finished runs (with their blocks, attempts, metrics and logs) older than this many days are deleted. */
  runs_days: z.number().positive().optional(),
  /** Log lines older than this many days are deleted (the runs stay). */
  logs_days: z.number().positive().optional(),
  /** Stored outputs kept per block, newest first; the latest successful one is always kept. */
  outputs_keep_last: z.number().int().min(1).optional(),
  /** Budget for stored outputs in the DuckDB workspace; the oldest removable outputs go first. */
  outputs_max_gb: z.number().positive().optional(),
});
export type RetentionConfig = z.infer<typeof retentionSchema>;
