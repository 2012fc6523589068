import { readStaticFile } from '../serve/static-files.ts';
import { contentSecurityPolicy } from '../serve/content-security-policy.ts';
import type { ProtocolLike } from './electron-types.ts';

/**
 * The renderer is served from `app://pipewright/…`, not file://: a file:// page shares its origin with every file on
 * disk, and needs the `grantFileProtocolExtraPrivileges` fuse. The scheme is registered as standard and secure
 * (before the app is ready) so the page gets a real origin, module scripts and `'self'` in its CSP.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'pipewright';
/** The page the window opens. */
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** For `protocol.registerSchemesAsPrivileged`, which must run before the app is ready. */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
};

/** True for a URL of the app's own renderer (any path, query or hash under `app://pipewright/`). */
export function isAppSchemeUrl(url: URL): boolean {
  // The WHATWG origin of a non-special scheme is "null": compare protocol and host instead.
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === '' && url.port === '';
}

/** Answers `app://pipewright/<path>` with the built renderer's files (traversal-safe, as serve reads them), GET only. */
export function serveRendererOverAppScheme(protocol: ProtocolLike, rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (!isAppSchemeUrl(url)) return plain(404, 'not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, `${request.method} is not served here`);
    const file = await readStaticFile(rendererDir, url.pathname);
    if (!file) return plain(404, `no file ${url.pathname}`);
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), {
      headers: {
        'content-type': file.contentType,
        'content-security-policy': contentSecurityPolicy(),
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      },
    });
  });
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
