import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { GoogleHttpError, parseJsonBody, sendJson } from '../http-util.ts';
import { parseMultipart } from '../multipart.ts';
import type { GcsOperation } from './faults.ts';
import { listObjects } from './list-objects.ts';
import { grantedPermissions, type GcsModes } from './modes.ts';
import type { ObjectStore, Preconditions } from './object-store.ts';
import { bucketResource, objectResource } from './resources.ts';
import type { ResumableSessions } from './resumable.ts';

/** A request as the routes see it: path segments already percent-decoded, the body already read. */
export interface GcsRequest {
  method: string;
  segments: string[];
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface GcsContext {
  store: ObjectStore;
  /** The project states switched on for this emulator (modes.ts). */
  state: { modes: GcsModes };
  sessions: ResumableSessions;
  /** `http://127.0.0.1:<port>`: session URIs must be absolute and reachable. */
  baseUrl: string;
}

type Handler = (ctx: GcsContext, req: GcsRequest, res: ServerResponse) => Promise<void>;

/** The operation a request performs (for fault rules), and its handler; undefined when no route matches. */
export function route(req: Pick<GcsRequest, 'method' | 'segments' | 'query'>): { operation: GcsOperation; handler: Handler } | undefined {
  const { method, query } = req;
  const s = req.segments[0] === 'upload' ? req.segments.slice(3) : req.segments;
  const isUpload = req.segments[0] === 'upload';
  if (isUpload && s.length === 3 && s[2] === 'o') {
    if (method === 'POST') return { operation: 'objects.insert', handler: insertObject };
    if (method === 'PUT' && query.has('upload_id')) return { operation: 'objects.uploadChunk', handler: putChunk };
    if (method === 'DELETE' && query.has('upload_id')) return { operation: 'objects.uploadChunk', handler: cancelSession };
    return undefined;
  }
  if (req.segments[0] === 'download') {
    // mediaLink's form: /download/storage/v1/b/<bucket>/o/<object>
    const d = req.segments.slice(3);
    return method === 'GET' && d.length === 4 && d[0] === 'b' && d[2] === 'o'
      ? { operation: 'objects.download', handler: getObject }
      : undefined;
  }
  if (isUpload || s[0] !== 'b') return undefined;
  if (s.length === 1)
    return method === 'GET'
      ? { operation: 'buckets.list', handler: listBuckets }
      : method === 'POST'
        ? { operation: 'buckets.insert', handler: createBucket }
        : undefined;
  if (s.length === 2)
    return method === 'GET'
      ? { operation: 'buckets.get', handler: getBucket }
      : method === 'DELETE'
        ? { operation: 'buckets.delete', handler: deleteBucket }
        : undefined;
  if (s.length === 4 && s[2] === 'iam' && s[3] === 'testPermissions' && method === 'GET')
    return { operation: 'buckets.testIamPermissions', handler: testPermissions };
  if (s[2] !== 'o') return undefined;
  if (s.length === 3 && method === 'GET') return { operation: 'objects.list', handler: listBucketObjects };
  if (s.length === 4 && method === 'GET')
    return { operation: query.get('alt') === 'media' ? 'objects.download' : 'objects.get', handler: getObject };
  if (s.length === 4 && method === 'DELETE') return { operation: 'objects.delete', handler: deleteObject };
  if (s.length === 9 && method === 'POST' && (s[4] === 'rewriteTo' || s[4] === 'copyTo'))
    return { operation: 'objects.rewrite', handler: rewriteObject };
  return undefined;
}

/** `b/<bucket>` and `b/<bucket>/o/<object>` with the `/upload/storage/v1` part removed. */
export function names(req: GcsRequest): { bucket: string; object: string } {
  const s = req.segments[0] === 'upload' || req.segments[0] === 'download' ? req.segments.slice(3) : req.segments;
  return { bucket: s[1] ?? '', object: s[3] ?? req.query.get('name') ?? '' };
}

function preconditions(query: URLSearchParams): Preconditions {
  return { ifGenerationMatch: query.get('ifGenerationMatch') ?? undefined };
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object') return undefined;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

const listBuckets: Handler = async (ctx, _req, res) => {
  sendJson(res, 200, { kind: 'storage#buckets', items: ctx.store.listBuckets().map((b) => bucketResource(b, ctx.baseUrl)) });
};

const createBucket: Handler = async (ctx, req, res) => {
  const body = parseJsonBody(req.body);
  if (typeof body.name !== 'string' || body.name === '') throw new GoogleHttpError(400, 'invalid', 'bucket name is required');
  const bucket = await ctx.store.createBucket(body.name, typeof body.location === 'string' ? body.location.toUpperCase() : undefined);
  sendJson(res, 200, bucketResource(bucket, ctx.baseUrl));
};

const getBucket: Handler = async (ctx, req, res) => {
  sendJson(res, 200, bucketResource(ctx.store.bucket(names(req).bucket), ctx.baseUrl));
};

const deleteBucket: Handler = async (ctx, req, res) => {
  await ctx.store.deleteBucket(names(req).bucket);
  res.writeHead(204).end();
};

/** https://cloud.google.com/storage/docs/json_api/v1/buckets/testIamPermissions */
const testPermissions: Handler = async (ctx, req, res) => {
  const bucket = names(req).bucket;
  const asked = req.query.getAll('permissions');
  if (asked.length === 0) throw new GoogleHttpError(400, 'required', 'Required parameter: permissions');
  const granted = grantedPermissions(ctx.state.modes, bucket, asked);
  if (granted.length > 0) ctx.store.bucket(bucket);
  sendJson(res, 200, { kind: 'storage#testIamPermissionsResponse', ...(granted.length ? { permissions: granted } : {}) });
};

const listBucketObjects: Handler = async (ctx, req, res) => {
  const q = req.query;
  const maxResults = Math.min(Number(q.get('maxResults') ?? 1000) || 1000, 1000);
  const page = listObjects(ctx.store.sortedObjects(names(req).bucket), {
    prefix: q.get('prefix') ?? '',
    delimiter: q.get('delimiter') ?? undefined,
    maxResults,
    pageToken: q.get('pageToken') ?? undefined,
    startOffset: q.get('startOffset') ?? undefined,
    endOffset: q.get('endOffset') ?? undefined,
  });
  sendJson(res, 200, {
    kind: 'storage#objects',
    ...(page.items.length ? { items: page.items.map((o) => objectResource(o, ctx.baseUrl)) } : {}),
    ...(page.prefixes.length ? { prefixes: page.prefixes } : {}),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  });
};

const getObject: Handler = async (ctx, req, res) => {
  const { bucket, object: name } = names(req);
  const object = ctx.store.object(bucket, name);
  const generation = req.query.get('generation');
  if (generation && generation !== object.generation)
    throw new GoogleHttpError(404, 'notFound', `No such object: ${bucket}/${name}#${generation}`);
  if (req.query.get('alt') !== 'media' && req.segments[0] !== 'download') return sendJson(res, 200, objectResource(object, ctx.baseUrl));
  const range = parseRange(req.headers.range, object.size);
  // The client validates downloads only when the stored encoding is declared identity (cloud-protocols.md §2.8).
  const headers: Record<string, string | number> = {
    'Content-Type': object.contentType,
    'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    'x-goog-stored-content-encoding': 'identity',
    'x-goog-stored-content-length': object.size,
    'x-goog-generation': object.generation,
    'Accept-Ranges': 'bytes',
  };
  if (!range) {
    res.writeHead(200, { ...headers, 'Content-Length': object.size });
  } else {
    res.writeHead(206, {
      ...headers,
      'Content-Length': range.end - range.start + 1,
      'Content-Range': `bytes ${range.start}-${range.end}/${object.size}`,
    });
  }
  if (object.size === 0) return void res.end();
  createReadStream(ctx.store.dataPath(bucket, name), range ?? {}).pipe(res);
};

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; 416 when it starts past the end. */
function parseRange(header: string | string[] | undefined, size: number): { start: number; end: number } | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const start = match[1] === '' ? Math.max(0, size - Number(match[2])) : Number(match[1]);
  const end = match[1] === '' || match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || start > end)
    throw new GoogleHttpError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.');
  return { start, end };
}

const deleteObject: Handler = async (ctx, req, res) => {
  const { bucket, object } = names(req);
  await ctx.store.deleteObject(bucket, object, preconditions(req.query));
  res.writeHead(204).end();
};

const rewriteObject: Handler = async (ctx, req, res) => {
  const s = req.segments;
  const [bucket, name, toBucket, toName] = [s[1]!, s[3]!, s[6]!, s[8]!];
  const source = ctx.store.object(bucket, name);
  const meta = parseJsonBody(req.body);
  ctx.store.bucket(toBucket);
  const written = await ctx.store.commit(toBucket, toName, { copyOf: source }, preconditions(req.query), {
    contentType: typeof meta.contentType === 'string' ? meta.contentType : source.contentType,
    ...((stringMap(meta.metadata) ?? source.metadata) ? { metadata: stringMap(meta.metadata) ?? source.metadata! } : {}),
  });
  const resource = objectResource(written, ctx.baseUrl);
  if (s[4] === 'copyTo') return sendJson(res, 200, resource);
  sendJson(res, 200, {
    kind: 'storage#rewriteResponse',
    totalBytesRewritten: String(written.size),
    objectSize: String(written.size),
    done: true,
    resource,
  });
};

const insertObject: Handler = async (ctx, req, res) => {
  const { bucket, object: queryName } = names(req);
  const type = req.query.get('uploadType') ?? 'media';
  if (type === 'resumable') {
    const meta = parseJsonBody(req.body);
    const name = typeof meta.name === 'string' ? meta.name : queryName;
    const contentType =
      headerText(req.headers['x-upload-content-type']) ?? (typeof meta.contentType === 'string' ? meta.contentType : undefined);
    const id = await ctx.sessions.open(bucket, name, preconditions(req.query), {
      ...(contentType ? { contentType } : {}),
      ...(stringMap(meta.metadata) ? { metadata: stringMap(meta.metadata)! } : {}),
    });
    const location = `${ctx.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
    res.writeHead(200, { Location: location, 'Content-Length': 0 }).end();
    return;
  }
  let data = req.body;
  let meta: Record<string, unknown> = {};
  let mediaType = headerText(req.headers['content-type']);
  if (type === 'multipart') {
    const [jsonPart, mediaPart] = parseMultipart(headerText(req.headers['content-type']), req.body);
    if (!jsonPart || !mediaPart) throw new GoogleHttpError(400, 'invalid', 'a multipart upload needs a metadata part and a media part');
    meta = parseJsonBody(jsonPart.body);
    data = mediaPart.body;
    mediaType = mediaPart.headers['content-type'];
  }
  const name = typeof meta.name === 'string' ? meta.name : queryName;
  if (!name) throw new GoogleHttpError(400, 'required', 'Required parameter: name');
  const contentType = typeof meta.contentType === 'string' ? meta.contentType : mediaType;
  const written = await ctx.store.commit(bucket, name, { bytes: data }, preconditions(req.query), {
    ...(contentType ? { contentType } : {}),
    ...(stringMap(meta.metadata) ? { metadata: stringMap(meta.metadata)! } : {}),
  });
  sendJson(res, 200, objectResource(written, ctx.baseUrl));
};

const putChunk: Handler = async (ctx, req, res) => {
  const reply = await ctx.sessions.put(req.query.get('upload_id')!, headerText(req.headers['content-range']), req.body);
  if (reply.done) return sendJson(res, 200, objectResource(reply.object, ctx.baseUrl));
  // A 308 must carry the persisted range, or none when nothing is persisted (the client resends from 0).
  const headers: Record<string, string | number> = { 'Content-Length': 0 };
  if (reply.persisted > 0) headers.Range = `bytes=0-${reply.persisted - 1}`;
  res.writeHead(308, headers).end();
};

const cancelSession: Handler = async (ctx, req, res) => {
  await ctx.sessions.cancel(req.query.get('upload_id')!);
  res.writeHead(499).end();
};

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
