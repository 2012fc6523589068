import { toErrorShape, UserError } from '../model/errors.ts';
import type { InvokeEvent, IpcMainLike, WebContentsLike } from './electron-types.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, METHODS_CHANNEL, type CallReply, type CallRequest, type EventMessage } from './ipc-protocol.ts';

/** One API method: gets the call's params as sent (validating them is the handler's job) and returns its result. */
export type CallHandler = (params: unknown) => unknown;
export type CallHandlers = Readonly<Record<string, CallHandler>>;

/**
 * Serves `pw:call` and the method allow-list (`pw:methods`). A call from any frame but our renderer is refused (the
 * invoke rejects and main logs it); a malformed request or a method off the list answers `{ ok: false }` with a
 * user error; a handler's result or error is answered in the transport shape.
 */
export function registerIpc(ipcMain: IpcMainLike, handlers: CallHandlers, isTrustedSender: (event: InvokeEvent) => boolean): void {
  // The allow-list the preload enforces before anything crosses IPC; main enforces it again in answerCall.
  ipcMain.on(METHODS_CHANNEL, (event) => {
    event.returnValue = isTrustedSender(event) ? Object.keys(handlers).sort() : [];
  });
  ipcMain.handle(CALL_CHANNEL, async (event, request) => {
    if (!isTrustedSender(event)) {
      const from = event.senderFrame?.url ?? 'a frame that has gone away';
      console.warn(`pipewright: refused ${CALL_CHANNEL} from ${from}`);
      throw new Error(`${CALL_CHANNEL} refused: the sender is not the Pipewright window`);
    }
    return answerCall(handlers, request);
  });
}

/** Runs one call against the handler map; never throws (errors come back as `{ ok: false, error }`). */
export async function answerCall(handlers: CallHandlers, request: unknown): Promise<CallReply> {
  try {
    const { method, params } = readRequest(request);
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (!handler) throw new UserError(`unknown method '${method}' (known: ${Object.keys(handlers).sort().join(', ')})`, { path: 'method' });
    return { ok: true, result: await handler(params) };
  } catch (error) {
    return { ok: false, error: toErrorShape(error) };
  }
}

/** Pushes one API event to a window's renderer; a closed window is skipped, not an error. */
export function sendEvent(contents: WebContentsLike, event: string, payload: unknown): void {
  if (contents.isDestroyed()) return;
  const message: EventMessage = { event, payload };
  contents.send(EVENT_CHANNEL, message);
}

function readRequest(request: unknown): CallRequest {
  if (typeof request !== 'object' || request === null || typeof (request as { method?: unknown }).method !== 'string') {
    throw new UserError(`${CALL_CHANNEL} expects { method: string, params }`, { path: 'method' });
  }
  return { method: (request as { method: string }).method, params: (request as { params?: unknown }).params };
}
