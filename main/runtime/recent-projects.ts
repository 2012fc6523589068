import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RECENT_FILE = 'recent-projects.json';
const RECENT_MAX = 8;

/**
 * Where a shell without Electron (`pipewright serve`) keeps its list of recent projects: PIPEWRIGHT_USER_DATA_DIR
 * when set (tests, a second app), else `$XDG_CONFIG_HOME/pipewright` or `~/.config/pipewright`.
 */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['PIPEWRIGHT_USER_DATA_DIR'];
  if (explicit) return path.resolve(explicit);
  return path.join(env['XDG_CONFIG_HOME'] || path.join(os.homedir(), '.config'), 'pipewright');
}

/** Project folders opened lately, newest first, that still hold a pipewright.yaml. */
export function readRecentProjects(userDataDir: string): string[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path.join(userDataDir, RECENT_FILE), 'utf8'));
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter((dir): dir is string => typeof dir === 'string' && existsSync(path.join(dir, 'pipewright.yaml')))
      .slice(0, RECENT_MAX);
  } catch {
    return []; // no list yet, or an unreadable one: start a new one
  }
}

/** Puts `dir` first in the recent list (written atomically) and returns the list. */
export function rememberProject(userDataDir: string, dir: string): string[] {
  const recent = [dir, ...readRecentProjects(userDataDir).filter((d) => d !== dir)].slice(0, RECENT_MAX);
  mkdirSync(userDataDir, { recursive: true });
  const file = path.join(userDataDir, RECENT_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(recent, null, 2));
  renameSync(`${file}.tmp`, file);
  return recent;
}
