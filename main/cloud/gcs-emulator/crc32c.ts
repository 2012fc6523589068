/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as GCS reports it: the 4 checksum bytes big-endian, base64.
 * Written from RFC 4960 appendix B and https://cloud.google.com/storage/docs/hashes-etags#crc32c, apart from the
 * exporter's own implementation, so a bug in one shows up as a checksum mismatch against the other.
 */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** The base64 CRC32C of `bytes`, as in an object resource's `crc32c` field and the `x-goog-hash` header. */
export function crc32cBase64(bytes: Buffer): string {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}
