import type { AlertEvent } from '../model/alert-schema.ts';

/** One alert as every channel receives it (the `alerts.raised` API event carries exactly this). */
export interface Alert {
  event: AlertEvent;
  pipelineId: string;
  runId: string;
  /** The block that failed or is retrying, when there is one. */
  blockId?: string;
  error?: string;
  /** Attempt that failed (retry alerts). */
  attempt?: number;
  /** The run's UI page when served, else the CLI command that shows the run. */
  link: string;
  /** One line: `Pipeline nyc failed at block load_trips`. */
  title: string;
  /** The title, the error and where to look, as plain text. */
  text: string;
  /** Milliseconds since the epoch. */
  at: number;
}

export interface AlertFacts {
  event: AlertEvent;
  pipelineId: string;
  runId: string;
  blockId?: string;
  error?: string;
  attempt?: number;
  /** For sla_miss: the limit that was exceeded. */
  slaMinutes?: number;
  at: number;
}

/** Builds the alert for `facts`; `serveUrl` (e.g. `http://127.0.0.1:6789/`) makes the link a UI page. */
export function describeAlert(facts: AlertFacts, serveUrl?: string): Alert {
  const link = serveUrl ? `${serveUrl.replace(/\/+$/, '')}/#/runs/${encodeURIComponent(facts.runId)}` : `pipewright history ${facts.runId}`;
  const title = titleOf(facts);
  const lines = [
    title,
    ...(facts.error ? [`Error: ${facts.error}`] : []),
    `Run: ${facts.runId}`,
    serveUrl ? `Open: ${link}` : `Inspect: ${link}`,
  ];
  return {
    event: facts.event,
    pipelineId: facts.pipelineId,
    runId: facts.runId,
    ...(facts.blockId !== undefined ? { blockId: facts.blockId } : {}),
    ...(facts.error !== undefined ? { error: facts.error } : {}),
    ...(facts.attempt !== undefined ? { attempt: facts.attempt } : {}),
    link,
    title,
    text: lines.join('\n'),
    at: facts.at,
  };
}

function titleOf(f: AlertFacts): string {
  const at = f.blockId ? ` at block ${f.blockId}` : '';
  switch (f.event) {
    case 'failure':
      return `Pipeline ${f.pipelineId} failed${at}`;
    case 'success':
      return `Pipeline ${f.pipelineId} succeeded`;
    case 'retry':
      return `Pipeline ${f.pipelineId}: block ${f.blockId ?? '?'} failed attempt ${f.attempt ?? '?'} and is retrying`;
    case 'sla_miss':
      return `Pipeline ${f.pipelineId} is still running after ${f.slaMinutes ?? '?'} min (SLA missed)`;
    case 'drift':
      return `Pipeline ${f.pipelineId}: block ${f.blockId ?? '?'} drifted from its last successful run`;
  }
}

/** Slack's incoming-webhook shape: `text` as the fallback, plus a header and a section per fact. */
export function slackPayload(alert: Alert): { text: string; blocks: unknown[] } {
  const fields = [
    { type: 'mrkdwn', text: `*Pipeline*\n${alert.pipelineId}` },
    { type: 'mrkdwn', text: `*Run*\n${alert.runId}` },
    ...(alert.blockId ? [{ type: 'mrkdwn', text: `*Block*\n${alert.blockId}` }] : []),
  ];
  const linkText = alert.link.startsWith('http') ? `<${alert.link}|Open the run>` : `\`${alert.link}\``;
  return {
    text: alert.text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: alert.title.slice(0, 150) } },
      { type: 'section', fields },
      ...(alert.error ? [{ type: 'section', text: { type: 'mrkdwn', text: `*Error*\n\`\`\`${alert.error.slice(0, 2800)}\`\`\`` } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: linkText }] },
    ],
  };
}

/** Pipewright's JSON shape: the alert's fields, and `text` so Slack-like receivers still show something. */
export function jsonPayload(alert: Alert): Alert & { source: 'pipewright' } {
  return { source: 'pipewright', ...alert };
}
