import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CALL_CHANNEL, EVENT_CHANNEL, METHODS_CHANNEL, type EventMessage } from '../main/electron/ipc-protocol.ts';
import { createBridge } from './bridge.ts';

/**
 * The whole bridge between the page and main: `window.pipewright` with `call` and `on`, nothing else.
 * No ipcRenderer, no channel names and no Electron event objects reach the page. Runs sandboxed, so
 * it is bundled to CommonJS and may require only 'electron'.
 */
export type { PipewrightBridge } from './bridge.ts';

// Asked once, before the page runs: main answers the contract's method names (and nothing to a foreign frame).
const listed: unknown = ipcRenderer.sendSync(METHODS_CHANNEL);
const allowed = new Set(Array.isArray(listed) ? listed.filter((name): name is string => typeof name === 'string') : []);

const bridge = createBridge(
  {
    invoke: (request) => ipcRenderer.invoke(CALL_CHANNEL, request),
    listen: (forward) => {
      const onMessage = (_event: IpcRendererEvent, message: EventMessage): void => forward(message.event, message.payload);
      ipcRenderer.on(EVENT_CHANNEL, onMessage);
      return () => {
        ipcRenderer.removeListener(EVENT_CHANNEL, onMessage);
      };
    },
  },
  allowed,
);

contextBridge.exposeInMainWorld('pipewright', Object.freeze(bridge));
