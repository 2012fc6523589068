import type { Transport } from './api-client.ts';

/** The preload's `window.pipewright` bridge, when the page runs inside the desktop app. */
export function findElectronBridge(): Transport | null {
  const bridge = (window as { pipewright?: Transport }).pipewright;
  return bridge ?? null;
}
