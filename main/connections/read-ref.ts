import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { SecretRef } from '../model/connection-profile.ts';
import type { SecretStore } from './secret-store.ts';

/** The value behind `{ env }` or `{ secret }`; a missing one fails naming the variable or secret to set, at `place`. */
export async function readRef(ref: SecretRef, place: ErrorPlace, env: NodeJS.ProcessEnv, secrets: SecretStore): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined) throw new UserError(`environment variable ${ref.env} is not set`, place);
    return value;
  }
  const value = await secrets.get(ref.secret);
  if (value === undefined)
    throw new UserError(`no secret named ${ref.secret} in the local store: pipewright connections secret set ${ref.secret}`, place);
  return value;
}

/** Parses a zod result's first issue into a UserError at `name.<path>` in connections.yaml. */
export function profileIssue(name: string, issue: { path: PropertyKey[]; message: string } | undefined): UserError {
  const where = [name, ...(issue?.path ?? []).map(String)].join('.');
  return new UserError(`${where}: ${issue?.message ?? 'invalid'}`, { file: 'connections.yaml', path: where });
}
