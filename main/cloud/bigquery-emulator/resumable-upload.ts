import { randomUUID } from 'node:crypto';
import { appendFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GoogleHttpError } from '../http-util.ts';

interface Session {
  jobBody: Record<string, unknown>;
  file: string;
  persisted: number;
}

/** What a PUT to a session did: more bytes wanted (308), or all bytes in (start the job). */
export type PutReply = { done: false; persisted: number } | { done: true; jobBody: Record<string, unknown>; file: string; bytes: number };

/**
 * Resumable uploads of load-job data (`uploadType=resumable`): a POST opens a session for the job configuration,
 * PUTs append bytes at the offset they state (`Content-Range: bytes a-b/total`, or `bytes a-*\/*` for "everything
 * from a"), and `bytes *\/*` asks how much is persisted without changing anything.
 */
export class ResumableUploads {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly dir: string) {}

  /** Opens a session; resolves to its id. */
  async open(jobBody: Record<string, unknown>): Promise<string> {
    const id = randomUUID();
    const file = path.join(this.dir, `${id}.part`);
    await writeFile(file, Buffer.alloc(0));
    this.sessions.set(id, { jobBody, file, persisted: 0 });
    return id;
  }

  /** Applies one PUT. */
  async put(id: string, contentRange: string | undefined, body: Buffer): Promise<PutReply> {
    const session = this.sessions.get(id);
    if (!session) throw new GoogleHttpError(404, 'notFound', `no upload session ${id}`);
    const range = parseContentRange(contentRange, body.length);
    if (range.statusQuery) return { done: false, persisted: session.persisted };
    if (range.start !== session.persisted) return { done: false, persisted: session.persisted };
    await appendFile(session.file, body);
    session.persisted += body.length;
    const complete = range.total === undefined ? range.toEnd : session.persisted >= range.total;
    if (!complete) return { done: false, persisted: session.persisted };
    this.sessions.delete(id);
    return { done: true, jobBody: session.jobBody, file: session.file, bytes: (await stat(session.file)).size };
  }

  /** Drops every session's bytes (on close). */
  async clear(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => rm(s.file, { force: true })));
    this.sessions.clear();
  }
}

function parseContentRange(
  header: string | undefined,
  length: number,
): { statusQuery: boolean; start: number; total?: number; toEnd: boolean } {
  if (!header) return { statusQuery: false, start: 0, total: length, toEnd: true };
  const status = /^bytes \*\/(\d+|\*)$/.exec(header.trim());
  if (status) return { statusQuery: true, start: 0, toEnd: false };
  const match = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(header.trim());
  if (!match) throw new GoogleHttpError(400, 'invalid', `bad Content-Range: ${header}`);
  const total = match[3] === '*' ? undefined : Number(match[3]);
  return { statusQuery: false, start: Number(match[1]), ...(total !== undefined ? { total } : {}), toEnd: match[2] === '*' };
}
