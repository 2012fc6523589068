import { GoogleHttpError } from './http-util.ts';

/** One part of a `multipart/related` body. */
export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Splits a `multipart/related` body (GCS and BigQuery multipart uploads: a JSON part, then the media part).
 * Tolerates a closing delimiter without a trailing CRLF, as the Node clients send it.
 */
export function parseMultipart(contentType: string | undefined, body: Buffer): MultipartPart[] {
  const match = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
  if (!match?.[1]) throw new GoogleHttpError(400, 'invalid', 'multipart upload without a boundary in Content-Type');
  const delimiter = Buffer.from(`--${match[1]}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw new GoogleHttpError(400, 'invalid', 'multipart upload without a closing delimiter');
    parts.push(parsePart(body.subarray(skipCrlf(body, start), trimCrlf(body, next))));
    at = next;
  }
  return parts;
}

function parsePart(raw: Buffer): MultipartPart {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? '' : raw.subarray(0, split).toString('utf8');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: split < 0 ? raw : raw.subarray(split + 4) };
}

function skipCrlf(body: Buffer, at: number): number {
  return body[at] === 0x0d && body[at + 1] === 0x0a ? at + 2 : at;
}

/** The end of a part's content: the CRLF before the next delimiter belongs to the delimiter. */
function trimCrlf(body: Buffer, end: number): number {
  return body[end - 2] === 0x0d && body[end - 1] === 0x0a ? end - 2 : end;
}
