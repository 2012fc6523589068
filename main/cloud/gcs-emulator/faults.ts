/** The kinds of request a fault can target (storage-testbench's operation names). */
export type GcsOperation =
  | 'buckets.insert'
  | 'buckets.get'
  | 'buckets.list'
  | 'buckets.delete'
  /** `GET b/<bucket>/iam/testPermissions`: which of the asked permissions the caller holds. */
  | 'buckets.testIamPermissions'
  /** A multipart upload, or the POST that opens a resumable session. */
  | 'objects.insert'
  /** A resumable PUT carrying bytes (status queries `bytes *\/*` are never faulted). */
  | 'objects.uploadChunk'
  | 'objects.get'
  | 'objects.download'
  | 'objects.list'
  | 'objects.delete'
  | 'objects.rewrite';

export type FaultAction =
  /** Answer with this status and Google's error body, without acting on the request. */
  | { status: number; reason?: string }
  /**
   * Destroy the connection: after reading `afterBodyBytes` of the request body (default: none), or after
   * reading the whole body when `afterBodyBytes` is `'all'`. Nothing of the request is persisted.
   */
  | { reset: true; afterBodyBytes?: number | 'all' }
  /**
   * Carry the request out (the object is written), then destroy the connection instead of answering: the client
   * retries something that already happened, as when a reply is lost on the way back.
   */
  | { resetAfterCommit: true }
  /** Wait this long, then serve the request normally (a slow network or a busy backend). */
  | { delayMs: number };

/** A rule: the next `times` requests of `operation` get `action`. */
export interface FaultRule {
  operation: GcsOperation;
  times: number;
  action: FaultAction;
}

/** Queued fault rules, consumed in order, with counts so tests can prove a fault actually fired. */
export class FaultSwitch {
  private readonly rules: (FaultRule & { left: number })[] = [];
  private readonly fired = new Map<GcsOperation, number>();

  /** Answers the next `rule.times` requests of `rule.operation` with `rule.action`. */
  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times });
  }

  /** The action for this request, if a rule has one left (and counts it as fired). */
  take(operation: GcsOperation): FaultAction | undefined {
    const rule = this.rules.find((r) => r.operation === operation && r.left > 0);
    if (!rule) return undefined;
    rule.left -= 1;
    this.fired.set(operation, (this.fired.get(operation) ?? 0) + 1);
    return rule.action;
  }

  /** How many faults fired for an operation (all operations when omitted). */
  firedCount(operation?: GcsOperation): number {
    if (operation) return this.fired.get(operation) ?? 0;
    return [...this.fired.values()].reduce((a, b) => a + b, 0);
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
