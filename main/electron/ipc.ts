import { toErrorShape, UserError } from '../model/errors.ts';
import type { ApiDispatcher } from '../api/handlers.ts';
import type { InvokeEvent, IpcMainLike, WebContentsLike } from './electron-types.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, METHODS_CHANNEL, type CallReply, type CallRequest, type EventMessage } from './ipc-protocol.ts';

/**
 * Serves `pw:call` and the method allow-list (`pw:methods`) through the API's one dispatcher (the same serve's HTTP
 * uses). A call from any frame but our renderer is refused (the invoke rejects and main logs it); a malformed request
 * answers `{ ok: false }` with a user error; the dispatcher answers the rest in the transport shape.
 */
export function registerIpc(ipcMain: IpcMainLike, api: ApiDispatcher, isTrustedSender: (event: InvokeEvent) => boolean): void {
  // The allow-list the preload enforces before anything crosses IPC; the dispatcher enforces the contract again.
  ipcMain.on(METHODS_CHANNEL, (event) => {
    event.returnValue = isTrustedSender(event) ? [...api.methods] : [];
  });
  ipcMain.handle(CALL_CHANNEL, async (event, request) => {
    if (!isTrustedSender(event)) {
      const from = event.senderFrame?.url ?? 'a frame that has gone away';
      console.warn(`pipewright: refused ${CALL_CHANNEL} from ${from}`);
      throw new Error(`${CALL_CHANNEL} refused: the sender is not the Pipewright window`);
    }
    return answerCall(api, request);
  });
}

/** Reads one `pw:call` request and dispatches it; never throws (errors come back as `{ ok: false, error }`). */
export async function answerCall(api: ApiDispatcher, request: unknown): Promise<CallReply> {
  try {
    const { method, params } = readRequest(request);
    return await api.call(method, params);
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
