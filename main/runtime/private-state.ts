import { chmod, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Makes a project's `.pipewright/` readable by its owner only: the folder 0700, the files in it 0600 (the run
 * history, the workspace, their WAL files). Run at every open, so projects created before this are fixed too.
 * The history holds variables and logs, the workspace the data: other accounts on the machine have no business there.
 */
export async function makeStatePrivate(stateDir: string): Promise<void> {
  if (process.platform === 'win32') return; // modes mean nothing there; the user profile's ACLs protect the folder
  await chmodIfOwned(stateDir, 0o700);
  for (const entry of await readdir(stateDir, { withFileTypes: true })) {
    if (entry.isFile()) await chmodIfOwned(path.join(stateDir, entry.name), 0o600);
  }
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
