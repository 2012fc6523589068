import { Cron } from 'croner';
import { z } from 'zod';

/**
 * The `triggers:` list of pipeline.yaml. Cron expressions and time zones are checked here, inside the schema,
 * so the loader reports a bad one at its file, line and column like any other schema problem.
 */

const triggerName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'letters, digits, _ and - only, not starting with a digit')
  .max(63, 'at most 63 characters');

const variableValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Why `zone` is not an IANA time zone, or undefined when it is one (the message leaves the value out: callers show it). */
export function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    // Intl's RangeError text varies by runtime; ours names what to write instead.
    return 'unknown time zone: use an IANA name such as UTC, Europe/Paris or America/New_York';
  }
}

/** Why `expression` is not a cron expression we run (5 fields, or 6 with seconds first), or undefined; the value is left out. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return `invalid cron expression: it needs 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, not ${fields}`;
  }
  try {
    new Cron(expression, { paused: true });
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
    return `invalid cron expression: ${reason}`;
  }
}

const cronExpression = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const timeZone = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const problem = timeZoneProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** What a schedule does about fires it missed while no Pipewright process was running. */
export const catchUpPolicySchema = z.enum(['skip', 'latest', 'all']);
export type CatchUpPolicy = z.infer<typeof catchUpPolicySchema>;

export const scheduleTriggerSchema = z.strictObject({
  name: triggerName,
  type: z.literal('schedule'),
  cron: cronExpression,
  /** IANA time zone the cron expression is read in. */
  timezone: timeZone.default('UTC'),
  catch_up: catchUpPolicySchema.default('skip'),
  /** A fire while a run of this pipeline is still running is recorded as skipped instead of starting another. */
  skip_if_running: z.boolean().default(true),
  /** Overrides of the pipeline's variables for runs this trigger starts. */
  variables: z.record(z.string(), variableValue).default({}),
  enabled: z.boolean().default(true),
  description: z.string().optional(),
});
export type ScheduleTrigger = z.infer<typeof scheduleTriggerSchema>;

export const apiTriggerSchema = z.strictObject({
  name: triggerName,
  type: z.literal('api'),
  /** Defaults for runs started through the API; the caller's variables win. */
  variables: z.record(z.string(), variableValue).default({}),
  enabled: z.boolean().default(true),
  description: z.string().optional(),
});
export type ApiTrigger = z.infer<typeof apiTriggerSchema>;

export const triggerSpecSchema = z.discriminatedUnion('type', [scheduleTriggerSchema, apiTriggerSchema]);
export type TriggerSpec = z.infer<typeof triggerSpecSchema>;

/** The `triggers:` list; names are unique within a pipeline. */
export const triggersSchema = z.array(triggerSpecSchema).superRefine((triggers, ctx) => {
  const seen = new Set<string>();
  triggers.forEach((trigger, index) => {
    if (seen.has(trigger.name))
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `trigger name '${trigger.name}' is used twice; trigger names must be unique in a pipeline`,
      });
    seen.add(trigger.name);
  });
});
