import { randomBytes } from 'node:crypto';
import { appendFile, rm, writeFile } from 'node:fs/promises';
import { GoogleHttpError } from '../http-util.ts';
import type { ObjectStore, Preconditions, StoredObject } from './object-store.ts';

interface Session {
  bucket: string;
  name: string;
  pre: Preconditions;
  contentType: string | undefined;
  metadata: Record<string, string> | undefined;
  tempFile: string;
  /** Bytes persisted so far (contiguous from 0). */
  received: number;
  done?: StoredObject;
}

/** What a PUT on a session URI answers: 308 with the persisted range, or the finished object. */
export type ChunkReply = { done: false; persisted: number } | { done: true; object: StoredObject };

/** A parsed `Content-Range` of a resumable PUT (`bytes a-b/T`, `bytes a-*\/*`, `bytes *\/T`). */
interface ContentRange {
  start: number | undefined;
  /** `undefined` for `*`: the body runs to the end of the upload (the Node client's single-PUT mode). */
  end: number | undefined;
  total: number | undefined;
}

/**
 * Resumable upload sessions (kept in memory: an emulator restart ends open sessions, as a week's expiry would on
 * GCS). Honours the start offset of every PUT, re-accepts bytes it already has, and never commits on a status query.
 */
export class ResumableSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly store: ObjectStore) {}

  /** Opens a session after checking the bucket and preconditions; resolves to its id. */
  async open(
    bucket: string,
    name: string,
    pre: Preconditions,
    meta: { contentType?: string; metadata?: Record<string, string> },
  ): Promise<string> {
    this.store.bucket(bucket);
    this.store.checkPreconditions(bucket, name, pre);
    const id = randomBytes(16).toString('hex');
    const tempFile = this.store.tempPath();
    await writeFile(tempFile, Buffer.alloc(0));
    this.sessions.set(id, { bucket, name, pre, contentType: meta.contentType, metadata: meta.metadata, tempFile, received: 0 });
    return id;
  }

  /** Applies one PUT (a chunk, the whole rest, or a status query when `body` is empty and the range is `*`). */
  async put(id: string, contentRange: string | undefined, body: Buffer): Promise<ChunkReply> {
    const session = this.sessions.get(id);
    if (!session) throw new GoogleHttpError(404, 'notFound', 'No such upload session (it may have expired or finished).');
    if (session.done) return { done: true, object: session.done };
    const range = parseContentRange(contentRange);
    if (range.start !== undefined) await this.append(session, range.start, body);
    const isComplete =
      (range.total !== undefined && session.received >= range.total) || (range.start !== undefined && range.end === undefined);
    if (!isComplete) return { done: false, persisted: session.received };
    if (range.total !== undefined && session.received !== range.total) {
      throw new GoogleHttpError(400, 'invalid', `upload declared ${range.total} bytes but ${session.received} arrived`);
    }
    session.done = await this.store.commit(session.bucket, session.name, { file: session.tempFile }, session.pre, {
      ...(session.contentType ? { contentType: session.contentType } : {}),
      ...(session.metadata ? { metadata: session.metadata } : {}),
    });
    return { done: true, object: session.done };
  }

  /** Cancels a session (DELETE on its URI). */
  async cancel(id: string): Promise<void> {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    if (session && !session.done) await rm(session.tempFile, { force: true });
  }

  private async append(session: Session, start: number, body: Buffer): Promise<void> {
    if (start > session.received) {
      throw new GoogleHttpError(400, 'invalid', `chunk starts at ${start} but only ${session.received} bytes are persisted`);
    }
    const fresh = body.subarray(session.received - start);
    if (fresh.length === 0) return;
    await appendFile(session.tempFile, fresh);
    session.received += fresh.length;
  }
}

function parseContentRange(header: string | undefined): ContentRange {
  if (header === undefined) return { start: 0, end: undefined, total: undefined };
  const match = /^bytes (\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(header.trim());
  if (!match) throw new GoogleHttpError(400, 'invalid', `malformed Content-Range: ${header}`);
  const total = match[4] === '*' ? undefined : Number(match[4]);
  if (match[1] === '*') return { start: undefined, end: undefined, total };
  return { start: Number(match[2]), end: match[3] === '*' ? undefined : Number(match[3]), total };
}
