import { readdir, readFile, stat } from 'node:fs/promises';

/**
 * Local Postgres servers started from `postgresBinary` whose data folder is gone (a test folder removed under a
 * process that was killed before it could stop its server): nothing can reach or stop them any more. Linux only
 * (read from /proc); elsewhere none are found. Resolves to their process ids.
 */
export async function findOrphanedServers(postgresBinary: string): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const orphans: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    // A process may end while we read it: skip it then.
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0] !== postgresBinary) continue;
    const dataDir = argv[argv.indexOf('-D') + 1];
    if (argv.includes('-D') && dataDir && !(await isDirectory(dataDir))) orphans.push(pid);
  }
  return orphans;
}

/** Stops each orphaned server at once (SIGQUIT: no checkpoint, its data is gone anyway); resolves to how many. */
export async function reapOrphanedServers(postgresBinary: string): Promise<number> {
  const orphans = await findOrphanedServers(postgresBinary);
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // gone already, or not ours to signal: nothing more to do
    }
  }
  return orphans.length;
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}
