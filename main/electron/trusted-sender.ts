import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InvokeEvent } from './electron-types.ts';

/** Where the app's renderer lives: the built index.html, and in development the Vite dev server. */
export interface RendererLocation {
  indexHtml: string;
  devServerUrl?: string;
}

/** True when `url` is the app's own renderer: the built index.html (any hash or query), or a page of the dev server. */
export function isAppUrl(url: string, location: RendererLocation): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  // Compare parsed origins, never string prefixes: 'http://localhost:5173.evil.test' must not pass.
  if (location.devServerUrl && parsed.origin === new URL(location.devServerUrl).origin) return true;
  if (parsed.protocol !== 'file:') return false;
  try {
    return path.relative(fileURLToPath(parsed), location.indexHtml) === '';
  } catch {
    return false; // a file URL naming a remote host (file://server/share) is never ours
  }
}

/** Builds the IPC sender check: the message must come from the main frame of our renderer document, not an iframe or another page. */
export function createSenderCheck(location: RendererLocation): (event: InvokeEvent) => boolean {
  return (event) => {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && isAppUrl(frame.url, location);
  };
}
