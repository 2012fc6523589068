import { z } from 'zod';
import { secretRefSchema } from './connection-profile.ts';

/** Run outcomes an alert rule can listen to. */
export const alertEventSchema = z.enum(['failure', 'success', 'retry', 'sla_miss', 'drift']);
export type AlertEvent = z.infer<typeof alertEventSchema>;

/** Where a webhook posts: Slack-compatible `{ text, blocks }`, or Pipewright's own JSON. */
export const webhookSchema = z.strictObject({
  /** The endpoint; write `{ env: NAME }` or `{ secret: NAME }` to keep a Slack token out of the file. */
  url: z.union([z.url({ protocol: /^https?$/, error: 'an http(s) URL such as https://hooks.slack.com/services/…' }), secretRefSchema]),
  format: z.enum(['slack', 'json']).default('slack'),
  /** Attempts after the first one (server errors, timeouts, refused connections). */
  retries: z.number().int().min(0).max(10).default(3),
  /** Per attempt, in seconds. */
  timeout_seconds: z.number().positive().max(120).default(10),
});
export type WebhookConfig = z.infer<typeof webhookSchema>;

/** One `alerts:` entry: which outcomes, of which pipelines, go where. */
export const alertRuleSchema = z
  .strictObject({
    on: z.array(alertEventSchema).min(1, 'name at least one of failure, success, retry, sla_miss, drift'),
    webhook: webhookSchema.optional(),
    /** Shows a notification in the desktop app (and a toast in the browser UI). */
    desktop: z.boolean().optional(),
    /** Only these pipelines; default all (in a pipeline's own file: that pipeline). */
    pipelines: z.array(z.string().min(1)).optional(),
  })
  .refine((rule) => rule.webhook !== undefined || rule.desktop === true, { message: 'an alert needs a webhook or desktop: true' });
export type AlertRule = z.infer<typeof alertRuleSchema>;

/** A pipeline's service level: alert once when a run is still going after this long. */
export const slaSchema = z.strictObject({
  max_duration_minutes: z
    .number()
    .positive()
    .max(7 * 24 * 60),
});
export type SlaConfig = z.infer<typeof slaSchema>;
