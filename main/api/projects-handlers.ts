import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import { PROJECT_FILE } from '../project/load-project.ts';
import type { OpenProject } from '../runtime/open-project.ts';

const folder = z.string().trim().min(1).max(4096);

/** Params of the project picker's methods; contract.ts lists them among its methods. */
export const projectsMethods = {
  /** The open project's folder, the recent ones, and whether this shell can switch (serve --expose and a shell without a picker cannot, and say why). */
  'projects.list': z.strictObject({}),
  /** Checks `dir` is a project, then resolves while the shell closes this one (runs cancelled and recorded) and reopens on `dir`; the page reloads. */
  'projects.open': z.strictObject({ dir: folder }),
  /** Creates a project in `dir` (new or empty; local connections and a starter pipeline), then reopens on it like `projects.open`. */
  'projects.create': z.strictObject({ dir: folder }),
} as const;

/** How a shell switches its open project: serve reopens in-process on the same port, the desktop app relaunches. */
export interface ProjectSwitcher {
  /** Recent project folders, newest first. */
  recent(): string[];
  /** Closes the open project and opens `dir` (already checked) after this call has answered. */
  switchTo(dir: string): void;
  /** Writes a new project into `dir`; refuses a folder with files in it, writing nothing. */
  create(dir: string): Promise<void>;
  /** The last switch that failed (the previous project was reopened instead), until the next switch. */
  lastError(): string | null;
}

export interface ProjectsList {
  current: string;
  recent: string[];
  canSwitch: boolean;
  /** Why this shell cannot switch projects (canSwitch false). */
  why?: string;
  /** The last switch that failed, said once the previous project is open again. */
  switchError?: string;
}

/** `projects.*` over the shell's switcher; without one, listing works and switching is refused with the reason. */
export function createProjectsHandlers(open: OpenProject, switcher: ProjectSwitcher | { refused: string }) {
  const current = open.project.dir;
  const usable = (): ProjectSwitcher => {
    if ('refused' in switcher) throw new UserError(switcher.refused);
    return switcher;
  };
  return {
    'projects.list': async (): Promise<ProjectsList> => {
      if ('refused' in switcher) return { current, recent: [], canSwitch: false, why: switcher.refused };
      const switchError = switcher.lastError();
      return {
        current,
        recent: switcher.recent().filter((dir) => dir !== current),
        canSwitch: true,
        ...(switchError ? { switchError } : {}),
      };
    },
    'projects.open': async (p: { dir: string }) => {
      const s = usable();
      const dir = absoluteFolder(p.dir);
      if (!existsSync(path.join(dir, PROJECT_FILE)))
        throw new UserError(`${dir} has no ${PROJECT_FILE}: choose a project folder, or create a new project there`, { path: 'dir' });
      if (dir === current) throw new UserError(`${dir} is the open project`, { path: 'dir' });
      s.switchTo(dir);
      return { dir };
    },
    'projects.create': async (p: { dir: string }) => {
      const s = usable();
      const dir = absoluteFolder(p.dir);
      await s.create(dir);
      s.switchTo(dir);
      return { dir };
    },
  };
}

/** The folder as an absolute path: a relative one would depend on where the shell was started, so it is refused. */
function absoluteFolder(dir: string): string {
  if (!path.isAbsolute(dir))
    throw new UserError(`${dir} is not an absolute path: give the full folder path, e.g. /home/you/projects/shop`, { path: 'dir' });
  return path.resolve(dir);
}
