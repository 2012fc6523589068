import type { ErrorShape } from '../model/errors.ts';

/**
 * The two IPC channels between main and the preload, and what travels on them. Shared by main and the
 * preload bundle, so it imports nothing at run time.
 */

/** Renderer → main, `invoke`: one API call. */
export const CALL_CHANNEL = 'pw:call';
/** Preload → main, `sendSync` once at load: the method names the renderer may call (the contract's), or [] for a stranger. */
export const METHODS_CHANNEL = 'pw:methods';
/** Main → renderer, `send`: one API event. */
export const EVENT_CHANNEL = 'pw:event';

export interface CallRequest {
  method: string;
  params: unknown;
}

/** A call's answer; errors travel as data because Electron keeps only the message of an Error thrown across IPC. */
export type CallReply = { ok: true; result: unknown } | { ok: false; error: ErrorShape };

export interface EventMessage {
  event: string;
  payload: unknown;
}
