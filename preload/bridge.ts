import type { CallReply } from '../main/electron/ipc-protocol.ts';

/** What the page sees as `window.pipewright`. */
export interface PipewrightBridge {
  /** Calls one API method in main; resolves to `{ ok, result }` or `{ ok: false, error }` (errors travel as data). */
  call(method: string, params?: unknown): Promise<CallReply>;
  /** Listens to one API event; returns the function that stops listening. */
  on(event: string, listener: (payload: unknown) => void): () => void;
}

/** The two IPC operations the bridge uses, with channel names already bound (ipcRenderer in the preload, fakes in tests). */
export interface BridgeTransport {
  invoke(request: { method: string; params: unknown }): Promise<unknown>;
  listen(forward: (event: string, payload: unknown) => void): () => void;
}

/**
 * Builds the bridge: `call` reaches main only for a method on `allowed` (the contract's methods, as main listed
 * them), so a compromised page cannot probe anything else through it; main checks again.
 */
export function createBridge(transport: BridgeTransport, allowed: ReadonlySet<string>): PipewrightBridge {
  return {
    call: (method, params) => {
      if (typeof method !== 'string' || !allowed.has(method)) {
        const message = `method ${JSON.stringify(String(method))} is not part of the Pipewright API`;
        return Promise.resolve({ ok: false, error: { kind: 'user', message, retryable: false } });
      }
      return transport.invoke({ method, params: params ?? {} }) as Promise<CallReply>;
    },
    on: (event, listener) =>
      transport.listen((name, payload) => {
        if (name === event) listener(payload);
      }),
  };
}
