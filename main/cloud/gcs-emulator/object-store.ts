import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32cBase64 } from './crc32c.ts';
import { GoogleHttpError } from '../http-util.ts';

/** What the emulator keeps about one object (the live generation only: no versioning). */
export interface StoredObject {
  bucket: string;
  name: string;
  generation: string;
  metageneration: string;
  size: number;
  contentType: string;
  md5Hash: string;
  crc32c: string;
  created: string;
  metadata?: Record<string, string>;
}

export interface StoredBucket {
  name: string;
  created: string;
  location: string;
}

/** New bytes for an object: a received temp file (moved in), bytes in memory, or another object's bytes. */
export type ObjectContent = { file: string } | { bytes: Buffer } | { copyOf: StoredObject };

/** `ifGenerationMatch` as sent by the client: `'0'` means "must not exist". */
export interface Preconditions {
  ifGenerationMatch?: string | undefined;
}

/**
 * Buckets and objects on disk under `root`: `<bucket>/bucket.json`, and per object `objects/<sha256(name)>.json`
 * (its metadata) with `<sha256(name)>-<generation>.bin` beside it (hashed file names: object names may be 1024 bytes
 * and contain `/`). An in-memory index is loaded at start; writes go to a temp file and are renamed into place, so a
 * crash never leaves half an object.
 */
export class ObjectStore {
  private readonly buckets = new Map<string, { info: StoredBucket; objects: Map<string, StoredObject> }>();
  private lastGeneration = 0;

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(path.join(root, entry.name, 'bucket.json'))) this.loadBucket(entry.name);
    }
  }

  private loadBucket(name: string): void {
    const info = JSON.parse(readFileSync(path.join(this.root, name, 'bucket.json'), 'utf8')) as StoredBucket;
    const objects = new Map<string, StoredObject>();
    const dir = path.join(this.root, name, 'objects');
    for (const file of existsSync(dir) ? readdirSync(dir) : []) {
      if (!file.endsWith('.json')) continue;
      const object = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as StoredObject;
      objects.set(object.name, object);
      this.lastGeneration = Math.max(this.lastGeneration, Number(object.generation));
    }
    this.buckets.set(name, { info, objects });
  }

  /** Creates a bucket; 409 when it exists. */
  async createBucket(name: string, location = 'US'): Promise<StoredBucket> {
    if (this.buckets.has(name))
      throw new GoogleHttpError(409, 'conflict', `Your previous request to create the named bucket succeeded and you already own it.`);
    const info: StoredBucket = { name, created: new Date().toISOString(), location };
    mkdirSync(path.join(this.root, name, 'objects'), { recursive: true });
    await writeFile(path.join(this.root, name, 'bucket.json'), JSON.stringify(info));
    this.buckets.set(name, { info, objects: new Map() });
    return info;
  }

  /** The bucket, or 404. */
  bucket(name: string): StoredBucket {
    return this.entry(name).info;
  }

  listBuckets(): StoredBucket[] {
    return [...this.buckets.values()].map((b) => b.info).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes an empty bucket; 409 when objects remain, as GCS does. */
  async deleteBucket(name: string): Promise<void> {
    const entry = this.entry(name);
    if (entry.objects.size > 0) throw new GoogleHttpError(409, 'conflict', 'The bucket you tried to delete is not empty.');
    this.buckets.delete(name);
    await rm(path.join(this.root, name), { recursive: true, force: true });
  }

  /** The live object, or 404. */
  object(bucket: string, name: string): StoredObject {
    const found = this.entry(bucket).objects.get(name);
    if (!found) throw new GoogleHttpError(404, 'notFound', `No such object: ${bucket}/${name}`);
    return found;
  }

  /** Objects of a bucket sorted by name (byte order, as GCS lists). */
  sortedObjects(bucket: string): StoredObject[] {
    return [...this.entry(bucket).objects.values()].sort((a, b) => compareNames(a.name, b.name));
  }

  /** Absolute path of the live object's bytes (404 when there is none). */
  dataPath(bucket: string, name: string): string {
    return this.generationPath(this.object(bucket, name));
  }

  /** Each generation has its own file, so a reader of the old one is never cut short by a writer. */
  private generationPath(object: StoredObject): string {
    return path.join(this.root, object.bucket, 'objects', `${hashName(object.name)}-${object.generation}.bin`);
  }

  /** A temp file for bytes being received (resumable sessions, multipart bodies). */
  tempPath(): string {
    mkdirSync(path.join(this.root, '.uploads'), { recursive: true });
    return path.join(this.root, '.uploads', randomBytes(12).toString('hex'));
  }

  /** Checks `ifGenerationMatch` against the live object: 412 `conditionNotMet` when it does not hold. */
  checkPreconditions(bucket: string, name: string, pre: Preconditions): void {
    if (pre.ifGenerationMatch === undefined) return;
    const live = this.entry(bucket).objects.get(name);
    const liveGeneration = live?.generation ?? '0';
    if (liveGeneration !== pre.ifGenerationMatch) {
      throw new GoogleHttpError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
    }
  }

  /**
   * Stores `content` as a new generation of `name`, computing its checksums. The precondition is
   * checked and the index updated in one synchronous step after every await, so two concurrent
   * `ifGenerationMatch=0` writers cannot both win.
   */
  async commit(
    bucket: string,
    name: string,
    content: ObjectContent,
    pre: Preconditions,
    meta: { contentType?: string; metadata?: Record<string, string> },
  ): Promise<StoredObject> {
    const entry = this.entry(bucket);
    this.checkPreconditions(bucket, name, pre);
    const bytes = 'file' in content ? await readFile(content.file) : 'bytes' in content ? content.bytes : undefined;
    const source = 'copyOf' in content ? content.copyOf : undefined;
    const object: StoredObject = {
      bucket,
      name,
      generation: String(this.nextGeneration()),
      metageneration: '1',
      size: bytes?.length ?? source!.size,
      contentType: meta.contentType ?? 'application/octet-stream',
      // A copy has its source's bytes, so its checksums too.
      md5Hash: bytes ? createHash('md5').update(bytes).digest('base64') : source!.md5Hash,
      crc32c: bytes ? crc32cOf(bytes) : source!.crc32c,
      created: new Date().toISOString(),
      ...(meta.metadata ? { metadata: meta.metadata } : {}),
    };
    const data = this.generationPath(object);
    if ('file' in content) await rename(content.file, data);
    else if ('bytes' in content) await writeFile(data, content.bytes);
    else await shareBytes(this.generationPath(content.copyOf), data);
    try {
      this.checkPreconditions(bucket, name, pre);
    } catch (error) {
      await rm(data, { force: true });
      throw error;
    }
    const previous = entry.objects.get(name);
    entry.objects.set(name, object);
    await writeFile(this.metaPath(bucket, name), JSON.stringify(object));
    if (previous) await rm(this.generationPath(previous), { force: true });
    return object;
  }

  /** Deletes the live object (404 when absent, 412 when a precondition fails). */
  async deleteObject(bucket: string, name: string, pre: Preconditions): Promise<void> {
    const live = this.object(bucket, name);
    this.checkPreconditions(bucket, name, pre);
    this.entry(bucket).objects.delete(name);
    await rm(this.metaPath(bucket, name), { force: true });
    await rm(this.generationPath(live), { force: true });
  }

  private metaPath(bucket: string, name: string): string {
    return path.join(this.root, bucket, 'objects', `${hashName(name)}.json`);
  }

  private entry(name: string) {
    const found = this.buckets.get(name);
    if (!found) throw new GoogleHttpError(404, 'notFound', `The specified bucket does not exist: ${name}`);
    return found;
  }

  /** Microseconds since the epoch, strictly increasing, as GCS generations are. */
  private nextGeneration(): number {
    this.lastGeneration = Math.max(this.lastGeneration + 1, Date.now() * 1000);
    return this.lastGeneration;
  }
}

/** Base64 of the big-endian CRC32C, as GCS reports it. */
export function crc32cOf(bytes: Buffer): string {
  return crc32cBase64(bytes);
}

function hashName(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** GCS orders names by their UTF-8 bytes. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * A copy shares its source's bytes, as GCS copies within a location do (no data moves): generation files are never
 * changed after they are written, and deleting either name leaves the other's bytes. Where a hard link is not
 * possible (another file system), the bytes are copied.
 */
async function shareBytes(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch {
    await copyFile(source, target); // no hard links here: a real copy has the same bytes
  }
}
