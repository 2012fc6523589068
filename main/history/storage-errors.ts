import type { Database as Connection } from 'better-sqlite3';
import { OperationalError, UserError, type PipewrightError } from '../model/errors.ts';

/**
 * A history that opens but cannot be written (read-only file or disk, an immutable file) would fail on the run's
 * first event with SQLite's bare error: find out at open, with a write that is rolled back.
 */
export function checkWritable(db: Connection, file: string): void {
  try {
    // A read-only connection fails only on a statement that writes: set user_version to itself, then roll back.
    const version = Number(db.pragma('user_version', { simple: true }));
    db.transaction(() => {
      db.pragma(`user_version = ${version}`);
      throw new RolledBack();
    }).immediate();
  } catch (error) {
    if (error instanceof RolledBack) return;
    throw storageError(error, file) ?? error;
  }
}

/** Thrown to roll back the probe's write; never leaves checkWritable. */
class RolledBack extends Error {}

/** SQLite failures of the file itself (read-only, full disk, I/O) as errors naming the history file and what to do. */
export function storageError(error: unknown, file: string): PipewrightError | undefined {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new UserError(
      `the run history cannot be written (${code}): make it and its folder writable by this account, or open a copy of the project`,
      { file },
      { cause: error },
    );
  }
  if (code === 'SQLITE_FULL')
    return new OperationalError(`the run history cannot grow: the disk is full`, { place: { file }, cause: error });
  if (code.startsWith('SQLITE_IOERR'))
    return new OperationalError(`the run history cannot be written: an I/O error (${code})`, { place: { file }, cause: error });
  return undefined;
}
