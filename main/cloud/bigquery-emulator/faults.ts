/** The kinds of request a fault can target (BigQuery's REST method names). */
export const BIGQUERY_OPERATIONS = [
  'datasets.insert',
  'datasets.get',
  'datasets.list',
  'datasets.delete',
  'tables.insert',
  'tables.get',
  'tables.list',
  'tables.delete',
  /** jobs.insert through the JSON API (load from gs://, query). */
  'jobs.insert',
  /** jobs.insert through the upload API (multipart, or the POST and PUTs of a resumable upload). */
  'jobs.upload',
  'jobs.get',
  'jobs.list',
  'jobs.cancel',
  'jobs.query',
  'jobs.getQueryResults',
  'tabledata.list',
] as const;
export type BigQueryOperation = (typeof BIGQUERY_OPERATIONS)[number];

export type FaultAction =
  /** Answer with this status and Google's error body, without acting on the request. */
  | { status: number; reason?: string }
  /** Destroy the connection after reading `afterBodyBytes` of the body (default none; `'all'`: all of it). Nothing happens. */
  | { reset: true; afterBodyBytes?: number | 'all' }
  /** Carry the request out (a job is created), then destroy the connection: the reply is lost on the way back. */
  | { resetAfterCommit: true }
  /** Wait this long, then serve the request normally. */
  | { delayMs: number }
  /** For jobs.insert / jobs.upload: accept the job, then end it DONE with this errorResult (a failed job). */
  | { failJob: { reason: string; message: string } }
  /** For jobs.insert / jobs.query: the job stays RUNNING this long before its work starts (jobs.cancel ends it). */
  | { holdJob: { ms: number } };

/** A rule: the next `times` requests of `operation` get `action`. */
export interface FaultRule {
  operation: BigQueryOperation;
  times: number;
  action: FaultAction;
  /**
   * Only requests about a job that exists count (jobs.get, jobs.cancel): polling of a job already started fails,
   * while a lookup of an id not used yet answers 404 as usual.
   */
  existingJobsOnly?: boolean;
}

/** What the server knows about a request when it picks a fault. */
export interface FaultContext {
  /** The request names a job (jobs.get, jobs.cancel) that exists. */
  isExistingJob: boolean;
}

/** Queued fault rules, consumed in order, with counts so tests can prove a fault actually fired. */
export class FaultSwitch {
  private readonly rules: (FaultRule & { left: number })[] = [];
  private readonly fired = new Map<BigQueryOperation, number>();

  /** Answers the next `rule.times` requests of `rule.operation` with `rule.action`. */
  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times });
  }

  /** The action for this request, if a rule has one left (and counts it as fired). */
  take(operation: BigQueryOperation, context: FaultContext = { isExistingJob: false }): FaultAction | undefined {
    const rule = this.rules.find((r) => r.operation === operation && r.left > 0 && (!r.existingJobsOnly || context.isExistingJob));
    if (!rule) return undefined;
    rule.left -= 1;
    this.fired.set(operation, (this.fired.get(operation) ?? 0) + 1);
    return rule.action;
  }

  /** Faults fired so far, by operation. */
  firedByOperation(): Record<string, number> {
    return Object.fromEntries(this.fired);
  }

  /** Faults queued but not yet fired. */
  pending(): number {
    return this.rules.reduce((sum, r) => sum + r.left, 0);
  }

  clear(): void {
    this.rules.length = 0;
    this.fired.clear();
  }
}
