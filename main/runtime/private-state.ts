import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Makes a project's `.pipewright/` readable by its owner only: the folder 0700, the files in it 0600 (the run
 * history, the workspace, their WAL files). Run at every open, so projects created before this are fixed too.
 * The history holds variables and logs, the workspace the data: other accounts on the machine have no business there.
 * One exception: a folder inside owned by another account (the local Postgres, which runs as `postgres` under root)
 * keeps the folder traversable (0711), else a server running meanwhile loses its data folder and dies at its next
 * checkpoint. Others can pass through to that folder, not list or read anything else.
 */
export async function makeStatePrivate(stateDir: string): Promise<void> {
  if (process.platform === 'win32') return; // modes mean nothing there; the user profile's ACLs protect the folder
  const entries = await readdir(stateDir, { withFileTypes: true });
  const hasOtherAccount = await holdsAnotherAccountsFolder(entries.filter((e) => e.isDirectory()).map((e) => path.join(stateDir, e.name)));
  await chmodIfOwned(stateDir, hasOtherAccount ? 0o711 : 0o700);
  for (const entry of entries) {
    if (entry.isFile()) await chmodIfOwned(path.join(stateDir, entry.name), 0o600);
  }
}

async function holdsAnotherAccountsFolder(folders: string[]): Promise<boolean> {
  const me = process.getuid?.();
  for (const folder of folders) {
    const owner = await lstat(folder).then(
      (info) => info.uid,
      (error: NodeJS.ErrnoException) => {
        // Removed meanwhile: it holds no one's data.
        if (error.code === 'ENOENT') return me;
        throw error;
      },
    );
    if (owner !== me) return true;
  }
  return false;
}

async function chmodIfOwned(file: string, mode: number): Promise<void> {
  try {
    await chmod(file, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another account's file (EPERM) or one removed meanwhile (ENOENT): not ours to fix, and no reason to refuse to open.
    if (code !== 'EPERM' && code !== 'ENOENT') throw error;
  }
}
