import { redactUrlSecrets } from './redact-url.ts';

/** What the history shows instead of a secret's value. */
export const REDACTED = '••••';

/** Variable names that hold credentials by convention. */
const SECRET_NAME = /password|secret|token|key/i;

/**
 * A copy of a run's variables safe to store and show: a value is replaced by REDACTED when its name looks like a
 * credential, when it is a secret reference (`{ secret }` / `{ env }`), when `secretNames` says it came from one, or
 * when it holds a URL with credentials (`user:pass@`, `?sig=`). Whole values, so a retry or resume never replays a
 * masked value: it resolves those variables again, as for secrets.
 */
export function redactVariables(variables: Record<string, unknown>, secretNames: ReadonlySet<string> = new Set()): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (value !== null && value !== undefined && (SECRET_NAME.test(name) || secretNames.has(name) || isSecretRef(value)))
        return [name, REDACTED];
      return [name, typeof value === 'string' && redactUrlSecrets(value) !== value ? REDACTED : value];
    }),
  );
}

function isSecretRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ('secret' in value || 'env' in value);
}
