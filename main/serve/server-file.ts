import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../model/process-alive.ts';

/**
 * `.pipewright/server.json`: how a CLI on this machine reaches the process that holds the project (DuckDB has one
 * writer), so `pipewright run` can hand its run over instead of failing on the lock. Readable by this user only.
 */
export interface ServerFile {
  pid: number;
  /** `http://127.0.0.1:6789` */
  origin: string;
  token: string;
}

const FILE = 'server.json';

/** Writes the file atomically with mode 0600 (the token is a credential). */
export function writeServerFile(stateDir: string, info: ServerFile): void {
  const file = path.join(stateDir, FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(info), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Removes the file if it is still this process's (a newer server may have replaced it). */
export function removeServerFile(stateDir: string, pid = process.pid): void {
  if (readRawServerFile(stateDir)?.pid === pid) rmSync(path.join(stateDir, FILE), { force: true });
}

/** The server holding the project, if its file names a process that is still alive; a stale file is ignored. */
export function readServerFile(stateDir: string): ServerFile | null {
  const info = readRawServerFile(stateDir);
  return info && isProcessAlive(info.pid) ? info : null;
}

function readRawServerFile(stateDir: string): ServerFile | null {
  try {
    const parsed = JSON.parse(readFileSync(path.join(stateDir, FILE), 'utf8')) as Partial<ServerFile>;
    if (typeof parsed.pid !== 'number' || typeof parsed.origin !== 'string' || typeof parsed.token !== 'string') return null;
    return { pid: parsed.pid, origin: parsed.origin, token: parsed.token };
  } catch {
    return null; // no server, or a file cut short: run in-process
  }
}
