import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CALL_CHANNEL, EVENT_CHANNEL, type CallReply, type EventMessage } from '../main/electron/ipc-protocol.ts';

/**
 * The whole bridge between the page and main: `window.pipewright` with `call` and `on`, nothing else.
 * No ipcRenderer, no channel names and no Electron event objects reach the page. Runs sandboxed, so
 * it is bundled to CommonJS and may require only 'electron'.
 */
export interface PipewrightBridge {
  /** Calls one API method in main; resolves to `{ ok, result }` or `{ ok: false, error }` (errors travel as data). */
  call(method: string, params?: unknown): Promise<CallReply>;
  /** Listens to one API event; returns the function that stops listening. */
  on(event: string, listener: (payload: unknown) => void): () => void;
}

const bridge: PipewrightBridge = {
  call: (method, params) => ipcRenderer.invoke(CALL_CHANNEL, { method, params: params ?? {} }) as Promise<CallReply>,
  on: (event, listener) => {
    const forward = (_event: IpcRendererEvent, message: EventMessage): void => {
      if (message.event === event) listener(message.payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('pipewright', bridge);
