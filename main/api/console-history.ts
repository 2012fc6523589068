import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { OpenProject } from '../runtime/open-project.ts';

/** Params of the SQL console's history; contract.ts lists them among its methods. */
export const consoleMethods = {
  /** The SQL console's past queries in this project, newest first (at most 50). */
  'console.history': z.strictObject({}),
  /** Puts a query first in the console's history (an older copy of the same text moves up); resolves with the history. */
  'console.remember': z.strictObject({ sql: z.string().trim().min(1).max(100_000) }),
} as const;

export interface ConsoleQuery {
  sql: string;
  /** When it last ran (ms since the epoch). */
  at: number;
}

const FILE = 'console-history.json';
const KEEP = 50;

/** `console.*`: the history lives in `.pipewright/` (local, git-ignored) so each project keeps its own. */
export function createConsoleHandlers(open: OpenProject) {
  const file = path.join(open.project.stateDir, FILE);
  // Calls are chained: two quick runs must not both read the old list and lose one of the queries.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    'console.history': async () => ({ queries: await readHistory(file) }),
    'console.remember': (p: { sql: string }) =>
      serial(async () => {
        const queries = [{ sql: p.sql, at: Date.now() }, ...(await readHistory(file)).filter((q) => q.sql !== p.sql)].slice(0, KEEP);
        await writeFile(`${file}.tmp`, JSON.stringify(queries, null, 1), { mode: 0o600 });
        await rename(`${file}.tmp`, file);
        return { queries };
      }),
  };
}

async function readHistory(file: string): Promise<ConsoleQuery[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((q): q is ConsoleQuery => typeof q?.sql === 'string' && typeof q?.at === 'number').slice(0, KEEP);
  } catch (error) {
    // A file broken by hand only loses the history, never the console.
    console.warn(`console history unreadable (${file}), starting a new one`, error);
    return [];
  }
}
