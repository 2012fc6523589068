import { z } from 'zod';

/**
 * `checks:` and `drift:` of a block in pipeline.yaml: declarative data checks compiled to SQL (main/engine/check-sql.ts)
 * and the tolerances a run's output is compared with against the block's previous successful run (main/engine/drift.ts).
 */

const severity = z.enum(['warn', 'fail']);
export type Severity = z.infer<typeof severity>;

const column = z.string().min(1);
const columns = z.union([column, z.array(column).min(1)]);
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const common = { name: z.string().min(1).optional(), severity: severity.optional() };

/** `20%`: a relative change (rows) or a change in percentage points (null rates). */
export const percentSchema = z.string().regex(/^\d+(\.\d+)?\s*%$/, 'a percentage such as 20%');
/** `2 days`, `6 hours`, `30 minutes`, `1 week`. */
const intervalSchema = z.string().regex(/^\d+\s*(minute|hour|day|week)s?$/, 'an interval such as 2 days, 6 hours or 30 minutes');

/** One schema per check kind; a check names exactly one kind key. */
export const CHECK_KINDS = {
  not_null: z.strictObject({ not_null: columns, ...common }),
  unique: z.strictObject({ unique: columns, ...common }),
  accepted_values: z.strictObject({
    accepted_values: z.strictObject({ column, values: z.array(scalar).min(1) }),
    ...common,
  }),
  range: z.strictObject({
    range: z
      .strictObject({ column, min: scalar.optional(), max: scalar.optional(), exclusive: z.boolean().optional() })
      .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'a range needs min, max or both' }),
    ...common,
  }),
  relationships: z.strictObject({
    /** Every non-null `column` value must be in `to`'s `field` (an upstream block of this one). */
    relationships: z.strictObject({ column, to: z.string().min(1), field: column }),
    ...common,
  }),
  row_count: z.strictObject({
    row_count: z
      .strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
      .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'a row_count needs min, max or both' }),
    ...common,
  }),
  freshness: z.strictObject({
    /** The latest `column` value is at most `within` before the run's execution_date. */
    freshness: z.strictObject({ column, within: intervalSchema }),
    ...common,
  }),
  sql: z.strictObject({ sql: z.string().min(1), name: z.string().min(1), severity: severity.optional() }),
} as const;

export type CheckKind = keyof typeof CHECK_KINDS;
export type BlockCheck = { [K in CheckKind]: z.infer<(typeof CHECK_KINDS)[K]> }[CheckKind];
const KIND_NAMES = Object.keys(CHECK_KINDS) as CheckKind[];

/** The kind key a check names (validated: exactly one). */
export function checkKindOf(check: BlockCheck): CheckKind {
  return KIND_NAMES.find((k) => k in check) as CheckKind;
}

/** A check is a mapping with exactly one kind key (`not_null: col`), plus optional `name` and `severity`. */
export const blockCheckSchema = z.custom<BlockCheck>().superRefine((raw, ctx) => {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: `a check is a mapping such as { not_null: column }; kinds: ${KIND_NAMES.join(', ')}` });
    return;
  }
  const kinds = KIND_NAMES.filter((k) => k in raw);
  if (kinds.length !== 1) {
    const found = kinds.length === 0 ? 'none' : kinds.join(' and ');
    ctx.addIssue({ code: 'custom', message: `a check names exactly one kind (${KIND_NAMES.join(', ')}); found ${found}` });
    return;
  }
  const parsed = CHECK_KINDS[kinds[0] as CheckKind].safeParse(raw);
  if (!parsed.success)
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as PropertyKey[] });
});

const driftKind = <T extends z.ZodType>(tolerance: T) => z.union([tolerance, z.strictObject({ tolerance, severity: severity.optional() })]);

/** What counts as drift against the previous successful run; each kind `warn`s unless its severity says `fail`. */
export const driftSchema = z.strictObject({
  /** Largest relative change of the row count, e.g. `20%`. */
  rows: driftKind(percentSchema).optional(),
  /** Columns added, removed or retyped: `warn` or `fail`. */
  schema: severity.optional(),
  /** Largest change of a column's share of nulls, in percentage points (`5%`: 2% → 8% drifts). */
  null_rate: z
    .union([
      percentSchema,
      z.strictObject({ tolerance: percentSchema, severity: severity.optional(), columns: z.array(column).min(1).optional() }),
    ])
    .optional(),
  /** Severity of every kind that does not set its own; default warn. */
  severity: severity.optional(),
});
export type DriftSpec = z.infer<typeof driftSchema>;
