/**
 * The renderer's Content-Security-Policy, in one place: the shell sends it as a response header and the
 * build writes it into index.html as a <meta> tag, because header rewriting is not guaranteed for
 * file:// documents (Electron's security guide). No electron import: the Vite config uses this file too.
 */

const BASE_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  // React and later the canvas set element styles inline; scripts stay locked down.
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};

/** The policy as a header value; `devServer` loosens it just enough for Vite's dev server and nothing else. */
export function contentSecurityPolicy(opts: { devServer?: string } = {}): string {
  const directives = structuredClone(BASE_DIRECTIVES);
  if (opts.devServer) {
    const origin = new URL(opts.devServer);
    // Dev only: the React Refresh preamble is an inline module script, and HMR talks over a WebSocket.
    directives['script-src']?.push("'unsafe-inline'");
    directives['connect-src']?.push(`ws://${origin.host}`);
  }
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}
