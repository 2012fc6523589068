import type { ErrorShape } from '../../../main/model/errors.ts';
import type { EventName, MethodName, MethodParams } from '../../../main/api/contract.ts';
import type { EventPayloads, MethodResult } from '../../../main/api/api-types.ts';

/** A call's answer as both transports deliver it: errors travel as data. */
export type CallReply = { ok: true; result: unknown } | { ok: false; error: ErrorShape };

/** What one platform provides: send a call, listen to an event. One small file per platform implements it. */
export interface Transport {
  call(method: string, params: unknown): Promise<CallReply>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

/** The only API the UI uses: typed method names, params and results; failures throw ApiError. */
export interface ApiClient {
  /** Resolves to the method's result (typed from its handler), or rejects with ApiError carrying the error's message and place. */
  call<M extends MethodName>(method: M, params?: MethodParams<M>): Promise<MethodResult<M>>;
  /** The same with the result type written by the caller (older call sites; the inferred one above is preferred). */
  call<T>(method: MethodName, params?: MethodParams<MethodName>): Promise<T>;
  /** Listens to one event, with its payload typed; returns the function that stops listening. */
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
}

/** A failed call, with the shape the engine sent (kind, message, place). */
export class ApiError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
}

/** Wraps a transport into the UI's client. */
export function createApiClient(transport: Transport): ApiClient {
  const call = async (method: MethodName, params: unknown = {}): Promise<unknown> => {
    const reply = await transport.call(method, params);
    if (!reply.ok) throw new ApiError(reply.error);
    return reply.result;
  };
  return {
    // The transport carries JSON (and bytes): the contract's types are what the server promises, checked in main/.
    call: call as ApiClient['call'],
    on: (event, listener) => transport.on(event, listener as (payload: unknown) => void),
  };
}
