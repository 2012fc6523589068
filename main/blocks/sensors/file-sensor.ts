import { glob, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { BlockKind } from '../../model/block-kind.ts';
import { pollFields, pollUntilFound } from './poll.ts';

const configSchema = z.strictObject({
  /** A file or folder, or a glob (`landing/*.csv`, `**` crosses folders); relative paths are from the project root. */
  path: z.string().min(1),
  ...pollFields,
});

/** Waits until a path exists, or until a glob matches at least one file. */
export const fileSensor: BlockKind<z.infer<typeof configSchema>> = {
  type: 'sensor',
  kind: 'file',
  title: 'Wait for a file',
  configSchema,
  code: 'none',
  run(ctx, config) {
    const isGlob = /[*?[\]{}]/.test(config.path);
    return pollUntilFound(ctx, config, `${isGlob ? 'a file matching' : 'file'} ${config.path}`, async () => {
      if (!isGlob) return (await exists(path.resolve(ctx.project.dir, config.path))) ? config.path : undefined;
      const matches: string[] = [];
      for await (const match of glob(config.path, { cwd: ctx.project.dir })) matches.push(match.split(path.sep).join('/'));
      if (matches.length === 0) return undefined;
      matches.sort();
      return matches.length === 1 ? matches[0] : `${matches[0]} and ${matches.length - 1} more`;
    });
  },
};

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw error;
  }
}
