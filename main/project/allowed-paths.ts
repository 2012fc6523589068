import { realpathSync } from 'node:fs';
import path from 'node:path';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { Project } from '../model/project.ts';

/**
 * The folders Pipewright reads and writes for a project: the project itself and the folders its pipewright.yaml
 * lists under `allowed_paths`, each also by its real path (a project reached through a symlink stays itself).
 */
export function allowedFolders(project: Project): string[] {
  const listed = (project.settings.allowed_paths ?? []).map((p) => path.resolve(project.dir, p));
  const folders = [project.dir, ...listed];
  return [...new Set(folders.flatMap((f) => [f, realPathOf(f)]))];
}

/** Whether `target` (resolved against the project, symlinks followed) lies inside an allowed folder. */
export function isAllowedPath(project: Project, target: string): boolean {
  const absolute = path.resolve(project.dir, target);
  const real = realPathOf(absolute);
  const folders = allowedFolders(project);
  const inside = (file: string) =>
    folders.some((folder) => file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep));
  return inside(absolute) && inside(real);
}

/** Throws a UserError naming `written` when it lies outside the project and `allowed_paths`. */
export function checkAllowedPath(project: Project, written: string, place: ErrorPlace, verb: 'read' | 'write'): void {
  // A variable can carry a NUL into a rendered path; Node's fs would throw a bare TypeError on it.
  if (written.includes('\0'))
    throw new UserError(`${JSON.stringify(written)} contains a NUL character (\\0), which no file name can hold`, place);
  if (isAllowedPath(project, written)) return;
  throw new UserError(
    `${written} is outside the project folder: Pipewright ${verb === 'read' ? 'reads' : 'writes'} files only inside it, ` +
      'unless pipewright.yaml lists the folder under allowed_paths',
    place,
  );
}

/** The real path of `file`, or of its nearest existing ancestor with the rest appended (it may not exist yet). */
function realPathOf(file: string): string {
  const rest: string[] = [];
  let current = file;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A part that does not exist yet (or is not a folder) cannot be a symlink: resolve its parent instead.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = path.dirname(current);
      if (parent === current) return file;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}
