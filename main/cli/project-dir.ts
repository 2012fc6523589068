import path from 'node:path';
import { findProjectRoot } from '../project/load-project.ts';
import { UserError } from '../model/errors.ts';

/** The project folder from --project, or the nearest folder holding pipewright.yaml above the current one. */
export async function resolveProjectDir(flag: string | undefined): Promise<string> {
  if (flag) return path.resolve(flag);
  const found = await findProjectRoot(process.cwd());
  if (!found) throw new UserError('no pipewright.yaml here or in any parent folder: pass --project <dir> or run `pipewright init <dir>`');
  return found;
}
