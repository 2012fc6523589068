import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * The file-name stem of one logical load's files (`data_<12 hex>`): the same for every attempt, retry and resume of
 * a run (its origin) and block, different for a new run. Hex only, so the folder check still knows the files.
 */
export function appendStem(originRunId: string, blockId: string): string {
  return `data_${createHash('sha256').update(`${originRunId}\0${blockId}`).digest('hex').slice(0, 12)}`;
}

/**
 * Adds a partitioned write to `target` without touching what other loads wrote there: `write(tmp)` writes a fresh
 * sibling folder whose files are named `<stem>_N.<ext>`; then this load's files from an earlier attempt are removed
 * and the new ones moved into their partitions. A failed write leaves `target` as it was; a crash while moving
 * leaves some of this load's files, which its resume (same stem) replaces: each load lands exactly once.
 */
export async function appendPartitions(
  target: string,
  stem: string,
  write: (tmp: string) => Promise<void>,
): Promise<{ partitionsWritten: number }> {
  const tmp = `${target}.pw-tmp-${randomBytes(4).toString('hex')}`;
  try {
    await write(tmp);
    await mkdir(target, { recursive: true });
    for (const file of await filesUnder(target)) {
      if (path.basename(file).startsWith(`${stem}_`)) await rm(file, { force: true });
    }
    const written = await filesUnder(tmp);
    const partitions = new Set<string>();
    for (const file of written) {
      const relative = path.relative(tmp, file);
      partitions.add(path.dirname(relative));
      await mkdir(path.join(target, path.dirname(relative)), { recursive: true });
      await rename(file, path.join(target, relative));
    }
    return { partitionsWritten: partitions.size };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
