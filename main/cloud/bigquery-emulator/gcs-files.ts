import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectStore } from '../gcs-emulator/object-store.ts';
import { GoogleHttpError } from '../http-util.ts';
import { JobFailure } from './catalog.ts';

/** Where the GCS emulator keeps objects: its folder (same machine) or its HTTP endpoint. */
export interface GcsAccess {
  gcsDataDir?: string | undefined;
  gcsEndpoint?: string | undefined;
}

/** One object a load job reads, as a local file. */
export interface SourceFile {
  /** `gs://bucket/name`. */
  uri: string;
  /** The object name (for hive partition paths). */
  name: string;
  path: string;
  bytes: number;
}

interface Listed {
  name: string;
  size: number;
}

/**
 * The objects `gs://` URIs name, as local files: read in place from the GCS emulator's folder, or downloaded over
 * its JSON API into `tempDir`. A URI may hold one `*` after the bucket, matching any characters (`/` included), as
 * BigQuery's do; a URI that matches nothing fails the job with `notFound`, as BigQuery does.
 */
export async function resolveGcsUris(uris: string[], access: GcsAccess, tempDir: string): Promise<SourceFile[]> {
  if (!access.gcsDataDir && !access.gcsEndpoint)
    throw new JobFailure(
      'invalid',
      'this BigQuery emulator was started without a GCS emulator (gcsDataDir or gcsEndpoint), so it cannot read gs:// URIs',
    );
  const files: SourceFile[] = [];
  const store = access.gcsDataDir ? new ObjectStore(access.gcsDataDir) : undefined;
  for (const uri of uris) {
    const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!match) throw new JobFailure('invalid', `Source URI ${uri} is not a gs://bucket/object URI`, uri);
    const [bucket, pattern] = [match[1]!, match[2]!];
    if ((pattern.match(/\*+/g) ?? []).length > 1) throw new JobFailure('invalid', `Source URI ${uri} has more than one wildcard`, uri);
    const prefix = pattern.split('*')[0]!;
    const listed = store ? listFromStore(store, bucket, uri) : await listOverHttp(access.gcsEndpoint!, bucket, prefix, uri);
    const regex = new RegExp(`^${pattern.split(/\*+/).map(escapeRegex).join('.*')}$`);
    const matched = listed.filter((o) => !o.name.endsWith('/') && regex.test(o.name));
    if (matched.length === 0) throw new JobFailure('notFound', `Not found: URI ${uri}`, uri);
    for (const object of matched) {
      const local = store
        ? store.dataPath(bucket, object.name)
        : await download(access.gcsEndpoint!, bucket, object.name, tempDir, files.length);
      files.push({ uri: `gs://${bucket}/${object.name}`, name: object.name, path: local, bytes: object.size });
    }
  }
  return files;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function listFromStore(store: ObjectStore, bucket: string, uri: string): Listed[] {
  try {
    return store.sortedObjects(bucket).map((o) => ({ name: o.name, size: o.size }));
  } catch (error) {
    if (error instanceof GoogleHttpError && error.status === 404)
      throw new JobFailure('notFound', `Not found: bucket ${bucket} (URI ${uri})`, uri);
    throw error;
  }
}

async function listOverHttp(endpoint: string, bucket: string, prefix: string, uri: string): Promise<Listed[]> {
  const listed: Listed[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ prefix, ...(pageToken ? { pageToken } : {}) });
    const response = await fetch(`${endpoint}/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}`);
    if (response.status === 404) throw new JobFailure('notFound', `Not found: bucket ${bucket} (URI ${uri})`, uri);
    if (!response.ok) throw new JobFailure('backendError', `listing gs://${bucket}/${prefix} failed with HTTP ${response.status}`, uri);
    const page = (await response.json()) as { items?: { name: string; size: string }[]; nextPageToken?: string };
    listed.push(...(page.items ?? []).map((i) => ({ name: i.name, size: Number(i.size) })));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return listed;
}

async function download(endpoint: string, bucket: string, name: string, tempDir: string, index: number): Promise<string> {
  const response = await fetch(`${endpoint}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}?alt=media`);
  if (!response.ok || !response.body)
    throw new JobFailure('backendError', `reading gs://${bucket}/${name} failed with HTTP ${response.status}`, `gs://${bucket}/${name}`);
  await mkdir(tempDir, { recursive: true });
  const target = path.join(tempDir, `source-${index}${path.extname(name)}`);
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(target));
  return target;
}

/** A bucket's location (`US`, `EU`, `europe-west1`, …), from the GCS emulator's folder or its JSON API. */
export async function bucketLocation(access: GcsAccess, bucket: string): Promise<string> {
  if (access.gcsDataDir) return new ObjectStore(access.gcsDataDir).bucket(bucket).location;
  const response = await fetch(`${access.gcsEndpoint}/storage/v1/b/${encodeURIComponent(bucket)}`);
  if (!response.ok) throw new JobFailure('backendError', `reading the location of bucket ${bucket} failed with HTTP ${response.status}`);
  return String(((await response.json()) as { location?: string }).location ?? 'US');
}
