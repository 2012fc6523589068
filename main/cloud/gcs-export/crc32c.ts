/**
 * CRC32C (Castagnoli) by slicing-by-8: the same sums as the Storage client's own CRC32C class, ~10× faster (that one
 * reads a byte at a time; at ~30 MB/s checksumming was the largest cost of an export after writing the files). It
 * plugs into the client through `crc32cGenerator`, so upload validation keeps running, only faster.
 */
const POLY = 0x82f63b78;
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c >>> 0;
  }
  for (let slice = 1; slice < 8; slice++) {
    for (let n = 0; n < 256; n++) {
      const previous = table[(slice - 1) * 256 + n]!;
      table[slice * 256 + n] = (previous >>> 8) ^ table[previous & 0xff]!;
    }
  }
  return table;
}

/** Continues a CRC32C over `data` from `crc` (0 to start); returns the new sum as an unsigned 32-bit number. */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  const t = TABLE;
  let c = ~crc;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  while (i < end8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** A CRC32C in the shape the Storage client validates uploads and downloads with (`update`, `toString`, `validate`). */
export class FastCrc32c {
  private crc = 0;

  /** Adds bytes to the sum. */
  update(data: Buffer): void {
    this.crc = crc32cUpdate(this.crc, data);
  }

  /** The sum as GCS reports it: base64 of the big-endian 32-bit value. */
  toString(): string {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(this.crc);
    return bytes.toString('base64');
  }

  /** Whether the sum equals a base64 value from GCS. */
  validate(value: string): boolean {
    return this.toString() === value;
  }
}

/** For `new Storage({ crc32cGenerator })`. */
export function createFastCrc32c(): FastCrc32c {
  return new FastCrc32c();
}
