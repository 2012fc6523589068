/**
 * Errors classified by who must act (n8n's taxonomy):
 * - UserError: bad config or data. Never retried. Names the place (block, file, line, column, field).
 * - OperationalError: the world (network, timeout, quota). Retried unless marked permanent.
 * - anything else: a bug in Pipewright. Retried like an operational error, stack kept.
 */

/** Where a problem is: as many of these as are known. */
export interface ErrorPlace {
  block?: string;
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 1-based column in `file`. */
  column?: number;
  /** Path inside a structured file, e.g. `blocks[2].config.url`. */
  path?: string;
}

export type ErrorKind = 'user' | 'operational' | 'cancelled' | 'internal';

/** The one shape errors take over every transport and in the run store. */
export interface ErrorShape {
  kind: ErrorKind;
  message: string;
  place?: ErrorPlace;
  retryable: boolean;
  stack?: string;
}

export class PipewrightError extends Error {
  readonly kind: ErrorKind = 'internal';
  readonly place: ErrorPlace;
  readonly retryable: boolean = false;
  constructor(message: string, place: ErrorPlace = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.place = place;
  }
}

/** Bad config or data: show it, name the place, do not retry. */
export class UserError extends PipewrightError {
  override readonly kind = 'user';
  override readonly retryable = false;
}

/**
 * The block's own code threw (a TypeScript block). Like Mage, retried when the block has an explicit `retry:` policy
 * (the failure may be the world's, seen through the user's code), unless the code marked it permanent
 * (`throw new PermanentError(…)` from 'pipewright', or any error with `permanent: true`).
 */
export class UserCodeError extends UserError {
  readonly isPermanent: boolean;
  constructor(message: string, place: ErrorPlace = {}, opts: { permanent?: boolean } = {}) {
    super(message, place);
    this.isPermanent = opts.permanent === true;
  }
}

/** Network, timeouts, quota: retry with backoff (unless `permanent`), then explain. */
export class OperationalError extends PipewrightError {
  override readonly kind = 'operational';
  override readonly retryable: boolean;
  /** Seconds the remote asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { place?: ErrorPlace; permanent?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.place ?? {}, { cause: opts.cause });
    this.retryable = !opts.permanent;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** The run or block was cancelled; never retried. */
export class CancelledError extends PipewrightError {
  override readonly kind = 'cancelled';
  override readonly retryable = false;
  constructor(message = 'cancelled', place: ErrorPlace = {}) {
    super(message, place);
  }
}

/** A block exceeded its timeout: retried like any operational failure. */
export class TimeoutError extends OperationalError {
  constructor(message: string, place: ErrorPlace = {}) {
    super(message, { place });
  }
}

/** Normalise anything thrown into the transport shape; unknown errors are bugs and keep their stack. */
export function toErrorShape(err: unknown, extraPlace: ErrorPlace = {}): ErrorShape {
  if (err instanceof PipewrightError) {
    const place = { ...extraPlace, ...err.place };
    const shape: ErrorShape = { kind: err.kind, message: err.message, retryable: err.retryable };
    if (Object.keys(place).length > 0) shape.place = place;
    if (err.kind === 'internal' && err.stack) shape.stack = err.stack;
    return shape;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const shape: ErrorShape = { kind: 'internal', message: e.message, retryable: true };
  if (Object.keys(extraPlace).length > 0) shape.place = extraPlace;
  if (e.stack) shape.stack = e.stack;
  return shape;
}

/** One line for a terminal or a log: `block clean (blocks/clean.sql:3:7): message`. */
export function formatError(shape: ErrorShape): string {
  const p = shape.place;
  if (!p) return shape.message;
  // Loader messages already start with `file:line:col`: do not say the place twice.
  if (p.file && shape.message.startsWith(`${p.file}:`)) return p.block ? `block ${p.block}: ${shape.message}` : shape.message;
  const where: string[] = [];
  if (p.file) where.push([p.file, p.line, p.column].filter((x) => x !== undefined).join(':'));
  if (p.path) where.push(p.path);
  const head = p.block ? `block ${p.block}` : '';
  const loc = where.length ? `(${where.join(' at ')})` : '';
  const prefix = [head, loc].filter(Boolean).join(' ');
  return prefix ? `${prefix}: ${shape.message}` : shape.message;
}
