import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent. */
  text: string;
  /** The HTTP status of the first answer line, or 0 when none came. */
  status: number;
  /** Whether the server closed the connection before `waitMs` ran out. */
  closedByServer: boolean;
  ms: number;
}

/**
 * Writes `chunks` to a fresh TCP connection (a string is sent as latin1, so any byte can be forged) and collects the
 * answer until the server closes or `waitMs` passes; `keepOpen` stops after the first answer's headers instead.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  opts: { waitMs?: number; untilStatus?: boolean } = {},
): Promise<RawExchange> {
  const waitMs = opts.waitMs ?? 10_000;
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: match ? Number(match[1]) : 0, closedByServer, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    });
    socket.on('data', (data: Buffer) => {
      text += data.toString('latin1');
      if (opts.untilStatus && /\r\n\r\n/.test(text)) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    // A reset by the server is a way of closing too; the caller judges what it got.
    socket.on('error', () => finish(true));
  });
}

/** One WebSocket frame as a client sends it (masked unless `mask` is false), with any header bits a test wants to forge. */
export function wsFrame(opts: {
  opcode: number;
  payload: Buffer;
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
  claimedLength?: bigint;
}): Buffer {
  const fin = opts.fin ?? true;
  const first = (fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opts.opcode;
  const isMasked = opts.mask ?? true;
  const length = opts.claimedLength ?? BigInt(opts.payload.length);
  let header: Buffer;
  if (length < 126n) header = Buffer.from([first, (isMasked ? 0x80 : 0) | Number(length)]);
  else if (length < 65_536n) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = (isMasked ? 0x80 : 0) | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = (isMasked ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(length, 2);
  }
  if (!isMasked) return Buffer.concat([header, opts.payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(opts.payload.map((byte, i) => byte ^ (key[i % 4] ?? 0)));
  return Buffer.concat([header, key, masked]);
}
