import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../model/errors.ts';
import type { BlockCode } from '../model/project.ts';
import { readProjectText } from './yaml-file.ts';

/** Why a `file:` entry cannot be read, phrased for the user; the caller adds where it is written. */
export type CodeFileProblem = { problem: string };

/**
 * Reads a block's code (or test) file, written relative to the project root, as text. Never executes it.
 * Refuses absolute paths, `..` escapes and links that lead outside the project. Resolves to the file or to a
 * problem the caller reports at the `file:` line (missing, outside the project, too large, not a file).
 */
export async function readCodeFile(projectDir: string, relPath: string): Promise<BlockCode | CodeFileProblem> {
  const pathProblem = codePathProblem(projectDir, relPath);
  if (pathProblem) return { problem: pathProblem };
  const root = path.resolve(projectDir);
  const absPath = path.resolve(root, relPath);
  const realFile = await realpath(absPath).catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw error;
  });
  if (realFile === undefined) {
    return { problem: `code file ${relPath} does not exist (paths are relative to the project root, ${root})` };
  }
  if (!isInside(await realpath(root), realFile)) {
    return { problem: `'${relPath}' is a link to ${realFile}, outside the project folder: copy the file into the project` };
  }
  const text = await readProjectText(absPath, relPath).catch((error: unknown) => {
    if (error instanceof UserError) return { problem: error.message };
    throw error;
  });
  if (typeof text === 'object') return text;
  if (text === undefined) return { problem: `code file ${relPath} does not exist` };
  return { relPath, absPath, text };
}

/** Why `relPath` may not name a code file (absolute, or escaping the project with `..`), judged on the text alone. */
export function codePathProblem(projectDir: string, relPath: string): string | undefined {
  if (path.isAbsolute(relPath) || path.win32.isAbsolute(relPath)) {
    return `'${relPath}' is an absolute path: write it relative to the project root, e.g. blocks/clean.sql`;
  }
  const root = path.resolve(projectDir);
  if (!isInside(root, path.resolve(root, relPath))) {
    return `'${relPath}' points outside the project folder: keep code files inside it, e.g. under blocks/`;
  }
  return undefined;
}

/** Whether `readCodeFile` resolved to a problem rather than a file. */
export function isProblem(result: BlockCode | CodeFileProblem): result is CodeFileProblem {
  return 'problem' in result;
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}
