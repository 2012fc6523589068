import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The checks every serve request passes before anything runs (anchors-reliability §2.3): the Host header
 * names us (DNS rebinding), the Origin is ours (cross-site requests, WebSocket hijacking) and the session
 * token is present. Each check answers null when it passes, or the reason to refuse with 403.
 */
export interface Guard {
  /** `host:port` values a browser may send in Host for this server. */
  allowedHosts: ReadonlySet<string>;
  token: string;
  /** Cookie that carries the token after the first page load; the port is in its name because cookies ignore ports. */
  cookieName: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** The Host values to accept: the loopback names with our port, plus the bound host when it is not loopback. */
export function allowedHostsFor(host: string, port: number): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  names.add(host.includes(':') ? `[${host}]` : host);
  return new Set([...names].map((name) => `${name}:${port}`));
}

/** Refuses a request whose Host header is not one of ours (a rebinding page sends its own domain). */
export function checkHost(guard: Guard, req: IncomingMessage): string | null {
  const host = req.headers.host?.toLowerCase();
  if (host && guard.allowedHosts.has(host)) return null;
  return `Host '${host ?? '(none)'}' is not this server; open the URL pipewright serve printed`;
}

/**
 * Refuses an Origin other than our own. `required` is for WebSocket upgrades and API calls, where a missing
 * or `null` Origin is refused too; page loads and assets may come without one (typed URL, reload).
 */
export function checkOrigin(guard: Guard, req: IncomingMessage, required: boolean): string | null {
  const origin = req.headers.origin;
  if (origin === undefined && !required) return null;
  if (origin !== undefined && origin !== 'null') {
    try {
      const url = new URL(origin);
      if (
        url.protocol === 'http:' &&
        guard.allowedHosts.has(url.host.toLowerCase()) &&
        url.host.toLowerCase() === req.headers.host?.toLowerCase()
      )
        return null;
    } catch {
      // not a URL: refused below like any foreign origin
    }
  }
  return `Origin '${origin ?? '(none)'}' may not use this server`;
}

/** Refuses a request that carries no valid token in `Authorization: Bearer`, the session cookie or (first load) `?token=`. */
export function checkToken(guard: Guard, req: IncomingMessage, queryToken: string | null): string | null {
  const candidates = [bearerToken(req), cookieValue(req, guard.cookieName), queryToken];
  if (candidates.some((candidate) => candidate !== null && isSameSecret(candidate, guard.token))) return null;
  return 'missing or wrong token: open the URL with ?token=… that pipewright serve printed';
}

function bearerToken(req: IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ?? null;
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeOrNull(part.slice(eq + 1).trim());
  }
  return null;
}

/** Decodes %-escapes; a malformed one (`%zz`) makes the value no token at all rather than an error. */
export function decodeOrNull(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null; // callers treat it as absent or refuse it with 400
  }
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
function isSameSecret(candidate: string, secret: string): boolean {
  const a = Buffer.from(candidate);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
