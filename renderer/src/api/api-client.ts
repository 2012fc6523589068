import type { ErrorShape } from '../../../main/errors.ts';
import type { EventName, MethodName, MethodParams } from '../../../main/api/contract.ts';

/** A call's answer as both transports deliver it: errors travel as data. */
export type CallReply = { ok: true; result: unknown } | { ok: false; error: ErrorShape };

/** What one platform provides: send a call, listen to an event. One small file per platform implements it. */
export interface Transport {
  call(method: string, params: unknown): Promise<CallReply>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

/** The only API the UI uses: typed method names, results that throw ApiError on failure. */
export interface ApiClient {
  /** Resolves to the method's result, or rejects with ApiError carrying the error's message and place. */
  call<T>(method: MethodName, params?: MethodParams<MethodName>): Promise<T>;
  /** Listens to one event; returns the function that stops listening. */
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}

/** A failed call, with the shape the engine sent (kind, message, place). */
export class ApiError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
}

/** Wraps a transport into the UI's client. */
export function createApiClient(transport: Transport): ApiClient {
  return {
    async call<T>(method: MethodName, params: unknown = {}): Promise<T> {
      const reply = await transport.call(method, params);
      if (!reply.ok) throw new ApiError(reply.error);
      return reply.result as T;
    },
    on: (event, listener) => transport.on(event, listener),
  };
}
