import type { RunEvent, LogLevel } from '../model/run-events.ts';
import type { Pipeline, Project } from '../model/project.ts';
import type { SecretRef } from '../model/connection-profile.ts';
import { SecretStore } from '../connections/secret-store.ts';
import type { AlertEvent, AlertRule } from '../model/alert-schema.ts';
import { describeAlert, jsonPayload, slackPayload, type Alert, type AlertFacts } from './alert-message.ts';
import { WebhookQueue, type WebhookQueueOptions } from './webhook-queue.ts';

export interface AlertDispatcherOptions {
  project: Project;
  /** Writes a line into a run's log (a webhook that keeps failing is reported there, never thrown). */
  writeLog(runId: string, level: LogLevel, message: string): void;
  env?: NodeJS.ProcessEnv;
  secrets?: SecretStore;
  queue?: WebhookQueueOptions;
}

/** What the dispatcher remembers of a run in flight. */
interface RunWatch {
  pipeline: Pipeline;
  firstFailure?: { blockId: string; error: string };
  slaTimer?: NodeJS.Timeout;
}

/**
 * Turns run events into alerts: webhooks (fire-and-forget through a bounded queue) and desktop alerts (to the
 * listeners of `onAlert`, which the API forwards as `alerts.raised`). It never blocks or fails a run.
 */
export class AlertDispatcher {
  private readonly runs = new Map<string, RunWatch>();
  private readonly listeners = new Set<(alert: Alert) => void>();
  private readonly queue: WebhookQueue;
  private readonly secrets: SecretStore;
  private serveUrl: string | undefined;

  constructor(private readonly opts: AlertDispatcherOptions) {
    this.queue = new WebhookQueue(opts.queue);
    this.secrets = opts.secrets ?? SecretStore.forProject(opts.project.stateDir);
  }

  /** A run-event subscriber for one run of `pipeline`: pass every event of that run to it. */
  observe(pipeline: Pipeline): (event: RunEvent) => void {
    return (event) => {
      try {
        this.handle(pipeline, event);
      } catch (error) {
        // An alert bug must not break the run that triggered it; it is reported in that run's log instead.
        this.log(event.runId, 'warn', `alerts: ${(error as Error).message}`);
      }
    };
  }

  /** Listens to desktop alerts; returns the function that stops listening. */
  onAlert(listener: (alert: Alert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Where the UI is served (links become `<url>#/runs/<id>`); undefined when nothing serves it. */
  setServeUrl(url: string | undefined): void {
    this.serveUrl = url;
  }

  /** Webhooks waiting or being sent. */
  get pendingWebhooks(): number {
    return this.queue.pending;
  }

  /** Stops SLA timers and waits up to `timeoutMs` for webhooks still being sent. */
  async close(timeoutMs = 10_000): Promise<void> {
    for (const watch of this.runs.values()) clearTimeout(watch.slaTimer);
    this.runs.clear();
    await this.queue.close(timeoutMs);
  }

  private handle(pipeline: Pipeline, e: RunEvent): void {
    switch (e.type) {
      case 'run.started':
        this.runs.set(e.runId, { pipeline, ...this.slaTimer(pipeline, e.runId) });
        return;
      case 'block.retrying':
        this.raise(pipeline, {
          event: 'retry',
          pipelineId: pipeline.id,
          runId: e.runId,
          blockId: e.blockId,
          error: e.error.message,
          attempt: e.attempt,
          at: e.at,
        });
        return;
      case 'block.succeeded':
        this.raiseDrift(pipeline, e);
        return;
      case 'block.failed': {
        this.raiseDrift(pipeline, e);
        const watch = this.runs.get(e.runId);
        if (watch && !watch.firstFailure) watch.firstFailure = { blockId: e.blockId, error: e.error.message };
        return;
      }
      case 'run.finished': {
        const watch = this.runs.get(e.runId);
        clearTimeout(watch?.slaTimer);
        this.runs.delete(e.runId);
        if (e.status === 'cancelled') return;
        const failure = watch?.firstFailure;
        const error = failure?.error ?? e.error?.message;
        this.raise(pipeline, {
          event: e.status === 'succeeded' ? 'success' : 'failure',
          pipelineId: pipeline.id,
          runId: e.runId,
          at: e.at,
          ...(failure ? { blockId: failure.blockId } : {}),
          ...(e.status === 'failed' && error ? { error } : {}),
        });
        return;
      }
      default:
        return;
    }
  }

  /** One `drift` alert per block whose output drifted beyond a tolerance (warn or fail), with what changed. */
  private raiseDrift(pipeline: Pipeline, e: Extract<RunEvent, { type: 'block.succeeded' | 'block.failed' }>): void {
    const drifted = (e.tests ?? []).filter((t) => t.source === 'drift' && !t.passed);
    if (drifted.length === 0) return;
    const error = drifted.map((t) => `${t.name}: ${t.message ?? 'drifted'}`).join('\n');
    this.raise(pipeline, { event: 'drift', pipelineId: pipeline.id, runId: e.runId, blockId: e.blockId, error, at: e.at });
  }

  /** Fires sla_miss once, if the run is still going after the pipeline's max duration. */
  private slaTimer(pipeline: Pipeline, runId: string): { slaTimer?: NodeJS.Timeout } {
    const minutes = pipeline.spec.sla?.max_duration_minutes;
    if (minutes === undefined) return {};
    const timer = setTimeout(() => {
      if (!this.runs.has(runId)) return;
      this.raise(pipeline, { event: 'sla_miss', pipelineId: pipeline.id, runId, slaMinutes: minutes, at: Date.now() });
    }, minutes * 60_000);
    timer.unref(); // an SLA watch alone must not keep a CLI process alive
    return { slaTimer: timer };
  }

  private raise(pipeline: Pipeline, facts: AlertFacts): void {
    const rules = matchingRules(this.opts.project, pipeline, facts.event);
    if (rules.length === 0) return;
    const alert = describeAlert(facts, this.serveUrl);
    if (rules.some((r) => r.desktop)) for (const listener of this.listeners) listener(alert);
    for (const rule of rules) if (rule.webhook) void this.sendWebhook(rule.webhook, alert);
  }

  private async sendWebhook(webhook: NonNullable<AlertRule['webhook']>, alert: Alert): Promise<void> {
    let url: string;
    try {
      url = typeof webhook.url === 'string' ? webhook.url : await this.readRef(webhook.url);
    } catch (error) {
      this.log(alert.runId, 'warn', `alert webhook not sent: ${(error as Error).message}`);
      return;
    }
    const host = URL.canParse(url) ? new URL(url).host : 'an invalid URL';
    this.queue.enqueue({
      url,
      body: webhook.format === 'json' ? jsonPayload(alert) : slackPayload(alert),
      retries: webhook.retries,
      timeoutMs: webhook.timeout_seconds * 1000,
      // The host only: a Slack webhook's path is its secret.
      onGiveUp: (reason) => this.log(alert.runId, 'warn', `alert webhook (${alert.event}) to ${host} failed: ${reason}`),
    });
  }

  private async readRef(ref: SecretRef): Promise<string> {
    if ('env' in ref) {
      const value = (this.opts.env ?? process.env)[ref.env];
      if (value === undefined) throw new Error(`environment variable ${ref.env} (the webhook URL) is not set`);
      return value;
    }
    const value = await this.secrets.get(ref.secret);
    if (value === undefined)
      throw new Error(`no secret named ${ref.secret} (the webhook URL): pipewright connections secret set ${ref.secret}`);
    return value;
  }

  private log(runId: string, level: LogLevel, message: string): void {
    try {
      this.opts.writeLog(runId, level, message);
    } catch (error) {
      console.warn(`pipewright: ${message} (could not write it to run ${runId}: ${(error as Error).message})`);
    }
  }
}

/** Project rules filtered by `pipelines:`, then the pipeline's own rules, listening to `event`. */
export function matchingRules(project: Project, pipeline: Pipeline, event: AlertEvent): AlertRule[] {
  const projectRules = (project.settings.alerts ?? []).filter((r) => !r.pipelines || r.pipelines.includes(pipeline.id));
  return [...projectRules, ...(pipeline.spec.alerts ?? [])].filter((r) => r.on.includes(event));
}
