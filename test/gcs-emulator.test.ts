import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { CRC32C, Storage, type Bucket } from '@google-cloud/storage';
import { startGcsEmulator } from '../main/cloud/gcs-emulator/server.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';

let gcs: GcsFixture;
let bucket: Bucket;

before(async () => {
  gcs = await startGcsFixture();
  [bucket] = await gcs.storage.createBucket('emulated');
});
after(() => gcs.close());

function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

describe('GCS emulator with the official client', () => {
  test('creates, gets, lists and deletes buckets, refusing a duplicate with 409', async () => {
    const [created] = await gcs.storage.createBucket('scratch-bucket');
    assert.equal((await created.exists())[0], true);
    await assert.rejects(gcs.storage.createBucket('scratch-bucket'), (e: { code?: number }) => e.code === 409);
    const [buckets] = await gcs.storage.getBuckets();
    assert.deepEqual(buckets.map((b) => b.name).sort(), ['emulated', 'scratch-bucket']);
    await created.delete();
    assert.equal((await gcs.storage.bucket('scratch-bucket').exists())[0], false);
  });

  test('stores a multipart upload with the crc32c and md5 the client computes, and downloads it validated', async () => {
    const data = randomBytes(50_000);
    const file = bucket.file('tbl/dt=2024-01-01/part-000.parquet');
    await file.save(data, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const [meta] = await file.getMetadata();
    assert.equal(meta.crc32c, crc32c(data));
    assert.equal(meta.md5Hash, createHash('md5').update(data).digest('base64'));
    assert.equal(meta.size, String(data.length));
    const [back] = await file.download();
    assert.ok(back.equals(data));
    const [range] = await file.download({ start: 10, end: 19 });
    assert.ok(range.equals(data.subarray(10, 20)));
    const viaMediaLink = await fetch(String(meta.mediaLink), { headers: { Range: 'bytes=-5' } });
    assert.equal(viaMediaLink.status, 206);
    assert.ok(Buffer.from(await viaMediaLink.arrayBuffer()).equals(data.subarray(-5)));
  });

  test('answers a chunked resumable upload with 308 and Range until the last chunk', async () => {
    const data = randomBytes(600 * 1024);
    const file = bucket.file('resumable/chunked.bin');
    const before = gcs.emulator.requests.get('PUT objects.uploadChunk') ?? 0;
    await file.save(data, { chunkSize: 256 * 1024, preconditionOpts: { ifGenerationMatch: 0 } });
    assert.equal((gcs.emulator.requests.get('PUT objects.uploadChunk') ?? 0) - before, 3, 'three chunks of 256 KiB, 256 KiB and 88 KiB');
    const [back] = await file.download();
    assert.ok(back.equals(data));
  });

  test('refuses ifGenerationMatch=0 on an existing object with 412, and accepts the live generation', async () => {
    const file = bucket.file('pre/only-once.txt');
    await file.save('first', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await assert.rejects(
      file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
      (e: { code?: number }) => e.code === 412,
    );
    const [meta] = await file.getMetadata();
    await file.save('third', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(meta.generation) } });
    const [after] = await file.getMetadata();
    assert.ok(BigInt(String(after.generation)) > BigInt(String(meta.generation)), 'a new generation');
    assert.equal((await file.download())[0].toString(), 'third');
  });

  test('lets exactly one of many concurrent create-only writers win', async () => {
    const file = bucket.file('pre/raced');
    const writes = Array.from({ length: 8 }, (_, i) =>
      file.save(`writer ${i}`, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
    );
    const outcomes = await Promise.allSettled(writes);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    assert.ok(outcomes.every((o) => o.status === 'fulfilled' || (o.reason as { code?: number }).code === 412));
  });

  test('lists with prefix, delimiter and page tokens', async () => {
    for (const name of ['list/a/1', 'list/a/2', 'list/b/1', 'list/c', 'list/d', 'listing-other']) {
      await bucket.file(name).save(name, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    }
    const [, , folders] = (await bucket.getFiles({ prefix: 'list/', delimiter: '/', autoPaginate: false })) as unknown as [
      unknown,
      unknown,
      { items?: { name: string }[]; prefixes?: string[] },
    ];
    assert.deepEqual(folders.prefixes, ['list/a/', 'list/b/']);
    assert.deepEqual(
      folders.items?.map((i) => i.name),
      ['list/c', 'list/d'],
    );
    const seen: string[] = [];
    let query: Record<string, unknown> | null = { prefix: 'list/', maxResults: 2, autoPaginate: false };
    let pages = 0;
    while (query) {
      const [files, next]: [{ name: string }[], Record<string, unknown> | null] = (await bucket.getFiles(query)) as never;
      seen.push(...files.map((f) => f.name));
      query = next;
      pages++;
    }
    assert.deepEqual(seen, ['list/a/1', 'list/a/2', 'list/b/1', 'list/c', 'list/d']);
    assert.equal(pages, 3);
  });

  test('copies and deletes objects', async () => {
    const source = bucket.file('copy/source');
    await source.save('payload', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await source.copy(bucket.file('copy/target'), { preconditionOpts: { ifGenerationMatch: 0 } });
    assert.equal((await bucket.file('copy/target').download())[0].toString(), 'payload');
    await source.delete();
    assert.equal((await source.exists())[0], false);
    assert.equal(
      (await bucket.file('copy/target').download())[0].toString(),
      'payload',
      'the copy keeps its bytes once the source is gone',
    );
    // With a precondition: a write without one makes the client turn its retries off (for later calls too).
    await source.save('changed', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    assert.equal((await bucket.file('copy/target').download())[0].toString(), 'payload', 'and a new source generation does not change it');
  });

  test('never commits a resumable session on a status query (bytes */*)', async () => {
    const open = await fetch(`${gcs.emulator.url}/upload/storage/v1/b/emulated/o?uploadType=resumable&name=probe`, {
      method: 'POST',
      body: '{}',
    });
    const session = open.headers.get('location') ?? '';
    assert.ok(session.startsWith(gcs.emulator.url), session);
    const chunk = await fetch(session, { method: 'PUT', body: Buffer.alloc(262_144, 1), headers: { 'Content-Range': 'bytes 0-262143/*' } });
    assert.equal(chunk.status, 308);
    assert.equal(chunk.headers.get('range'), 'bytes=0-262143');
    const status = await fetch(session, { method: 'PUT', headers: { 'Content-Range': 'bytes */*' } });
    assert.equal(status.status, 308);
    assert.equal((await bucket.file('probe').exists())[0], false);
    const resent = await fetch(session, {
      method: 'PUT',
      body: Buffer.alloc(262_144 + 10, 1),
      headers: { 'Content-Range': 'bytes 0-262153/262154' },
    });
    assert.equal(resent.status, 200, 'bytes it already had are accepted again, the rest appended');
    assert.equal((await bucket.file('probe').getMetadata())[0].size, '262154');
  });

  test('recovers through the client retries from 503, 429 and dropped connections', async () => {
    gcs.emulator.faults.add({ operation: 'objects.get', times: 2, action: { status: 503 } });
    gcs.emulator.faults.add({ operation: 'objects.list', times: 1, action: { status: 429 } });
    gcs.emulator.faults.add({ operation: 'objects.insert', times: 1, action: { reset: true, afterBodyBytes: 1000 } });
    const file = bucket.file('faults/retried');
    await file.save(randomBytes(5000), { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await file.getMetadata();
    await bucket.getFiles({ prefix: 'faults/' });
    assert.equal(gcs.emulator.faults.firedCount(), 4);
    assert.equal(gcs.emulator.faults.pending(), 0);
  });

  test('queues faults over HTTP for clients in other processes, and reports what fired', async () => {
    const control = `${gcs.emulator.url}/_emulator/faults`;
    await fetch(control, { method: 'DELETE' });
    const queued = await fetch(control, {
      method: 'POST',
      body: JSON.stringify({ operation: 'objects.download', times: 1, action: { status: 503 } }),
    });
    assert.deepEqual(await queued.json(), { fired: 0, pending: 1 });
    const file = bucket.file('faults/over-http');
    await file.save('body', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    assert.equal((await file.download())[0].toString(), 'body');
    assert.deepEqual(await (await fetch(control)).json(), { fired: 1, pending: 0 });
    const bad = await fetch(control, {
      method: 'POST',
      body: JSON.stringify({ operation: 'objects.explode', times: 1, action: { status: 503 } }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /bad fault rule: operation/);
  });

  test('keeps buckets and objects on disk across restarts', async () => {
    await bucket.file('durable/kept').save('still here', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const again = await startGcsEmulator({ root: gcs.root });
    try {
      const storage = new Storage({ apiEndpoint: again.url, projectId: 'test-project' });
      assert.equal((await storage.bucket('emulated').file('durable/kept').download())[0].toString(), 'still here');
    } finally {
      await again.close();
    }
  });
});
