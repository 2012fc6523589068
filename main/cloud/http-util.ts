import type { IncomingMessage, ServerResponse } from 'node:http';

/** An HTTP failure answered in Google's JSON error shape (`{error:{code,message,errors:[{reason}]}}`). */
export class GoogleHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The `errors[].reason` Google uses for a status (fake-gcs-server's mapping, cloud-protocols.md §2.9). */
export function reasonForStatus(status: number): string {
  const reasons: Record<number, string> = {
    400: 'invalid',
    403: 'forbidden',
    404: 'notFound',
    409: 'conflict',
    412: 'conditionNotMet',
    429: 'rateLimitExceeded',
    500: 'internalError',
    503: 'backendError',
  };
  return reasons[status] ?? 'backendError';
}

/** Reads a whole request body (uploads arrive chunked, without Content-Length). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Answers with JSON as Google does (`application/json; charset=UTF-8`). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers with Google's error body; the client keeps `errors[].reason` on its ApiError. */
export function sendGoogleError(res: ServerResponse, status: number, message: string, reason = reasonForStatus(status)): void {
  sendJson(res, status, { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } });
}

/** Parses a JSON body, or fails with a 400 in Google's shape. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch (error) {
    throw new GoogleHttpError(400, 'parseError', `request body is not JSON: ${(error as Error).message}`);
  }
  throw new GoogleHttpError(400, 'invalid', 'request body must be a JSON object');
}

/** Reads what a fault says to read of the body (none, some bytes or all), then destroys the socket without answering. */
export async function dropConnection(req: IncomingMessage, fault: { afterBodyBytes?: number | 'all' }): Promise<void> {
  // Held now: leaving the body loop early destroys the request, which detaches `req.socket`.
  const socket = req.socket;
  const limit = fault.afterBodyBytes ?? 0;
  if (limit === 'all') {
    await readBody(req);
  } else if (limit > 0) {
    let seen = 0;
    for await (const chunk of req) {
      seen += (chunk as Buffer).length;
      if (seen >= limit) break;
    }
  }
  socket.destroy();
}
