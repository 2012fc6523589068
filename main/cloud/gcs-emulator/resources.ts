import type { StoredBucket, StoredObject } from './object-store.ts';

/** The JSON API bucket resource (the fields fake-gcs-server returns; the client requires none). */
export function bucketResource(bucket: StoredBucket, baseUrl: string): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: bucket.name,
    selfLink: `${baseUrl}/storage/v1/b/${encodeURIComponent(bucket.name)}`,
    name: bucket.name,
    location: bucket.location,
    storageClass: 'STANDARD',
    metageneration: '1',
    timeCreated: bucket.created,
    updated: bucket.created,
    etag: 'CAE=',
  };
}

/** The JSON API object resource; `size` and `generation` are int64-as-string, checksums base64. */
export function objectResource(object: StoredObject, baseUrl: string): Record<string, unknown> {
  const path = `b/${encodeURIComponent(object.bucket)}/o/${encodeURIComponent(object.name)}`;
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/${path}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: object.generation,
    metageneration: object.metageneration,
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.size),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: `${object.generation}-${object.metageneration}`,
    timeCreated: object.created,
    updated: object.created,
    ...(object.metadata ? { metadata: object.metadata } : {}),
  };
}
