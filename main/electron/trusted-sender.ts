import { isAppSchemeUrl } from './app-protocol.ts';
import type { InvokeEvent } from './electron-types.ts';

/** Where the app's renderer lives: the built index.html (served as app://pipewright/), and in development the Vite dev server. */
export interface RendererLocation {
  indexHtml: string;
  devServerUrl?: string;
}

/**
 * True when `url` is the app's own renderer: a page of `app://pipewright/` (any path, hash or query), or in
 * development a page of the dev server. No file:// URL is ours any more, not even the built index.html.
 */
export function isAppUrl(url: string, location: RendererLocation): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  // Compare parsed origins, never string prefixes: 'http://localhost:5173.evil.test' must not pass.
  if (location.devServerUrl) return parsed.origin === new URL(location.devServerUrl).origin;
  return isAppSchemeUrl(parsed);
}

/** Builds the IPC sender check: the message must come from the main frame of our renderer document, not an iframe or another page. */
export function createSenderCheck(location: RendererLocation): (event: InvokeEvent) => boolean {
  return (event) => {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && isAppUrl(frame.url, location);
  };
}
