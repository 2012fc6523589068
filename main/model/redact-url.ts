import type { ErrorShape } from './errors.ts';
import type { RunEvent } from './run-events.ts';

/** What is shown instead of a credential found in a URL (the same mark as redacted variables). */
const MARK = '••••';

/** A URL with a scheme, up to the first character that cannot be part of it in running text. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
/** Query parameters that carry credentials: signed URLs (sig, X-Amz-Signature…), API keys, tokens, passwords. */
const SECRET_PARAM = /sig|signature|token|key|secret|password|passwd|pwd|auth|credential|session|code/i;

/**
 * `text` with the credentials of every URL in it replaced by ••••: the password of `user:pass@` (a lone
 * `token@` entirely) and the values of query parameters whose names look secret (`?sig=`, `token=`, `api_key=`).
 */
export function redactUrlSecrets(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (match) => {
    // Punctuation that ends a sentence or a quotation is not part of the URL.
    const tail = /[.,:;!?)\]}]+$/.exec(match)?.[0] ?? '';
    return redactOneUrl(match.slice(0, match.length - tail.length)) + tail;
  });
}

function redactOneUrl(url: string): string {
  const at = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i.exec(url);
  let out = url;
  if (at) {
    const [whole, scheme, userinfo = ''] = at;
    const colon = userinfo.indexOf(':');
    const safe = colon === -1 ? MARK : `${userinfo.slice(0, colon)}:${MARK}`;
    out = `${scheme}${safe}@${url.slice(whole.length)}`;
  }
  const query = out.indexOf('?');
  if (query === -1) return out;
  const hash = out.indexOf('#', query);
  const end = hash === -1 ? out.length : hash;
  const params = out
    .slice(query + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const name = safeDecode(pair.slice(0, eq));
      return SECRET_PARAM.test(name) && pair.length > eq + 1 ? `${pair.slice(0, eq)}=${MARK}` : pair;
    });
  return `${out.slice(0, query + 1)}${params.join('&')}${out.slice(end)}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is not ours to fix here: match the name as written.
    return text;
  }
}

/** An error with URL credentials redacted from its message and stack. */
export function redactError<T extends ErrorShape | null | undefined>(error: T): T {
  if (!error) return error;
  const safe: ErrorShape = { ...error, message: redactUrlSecrets(error.message) };
  if (error.place?.file !== undefined) safe.place = { ...error.place, file: redactUrlSecrets(error.place.file) };
  if (error.stack !== undefined) safe.stack = redactUrlSecrets(error.stack);
  return safe as T;
}

/** The event as it may be stored, logged and shown: URL credentials redacted from every message it carries. */
export function redactEvent(event: RunEvent): RunEvent {
  switch (event.type) {
    case 'log.written':
      return { ...event, message: redactUrlSecrets(event.message) };
    case 'block.skipped':
      return { ...event, reason: redactUrlSecrets(event.reason) };
    case 'block.retrying':
      return { ...event, error: redactError(event.error) };
    case 'block.failed':
      return {
        ...event,
        error: redactError(event.error),
        ...(event.tests
          ? { tests: event.tests.map((t) => (t.message === undefined ? t : { ...t, message: redactUrlSecrets(t.message) })) }
          : {}),
      };
    case 'run.finished':
      return event.error ? { ...event, error: redactError(event.error) } : event;
    default:
      return event;
  }
}
