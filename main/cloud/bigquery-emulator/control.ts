import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { GoogleHttpError, parseJsonBody, readBody, sendJson } from '../http-util.ts';
import { BIGQUERY_OPERATIONS, type FaultSwitch } from './faults.ts';

const faultRuleSchema = z.strictObject({
  operation: z.enum(BIGQUERY_OPERATIONS),
  times: z.number().int().min(1).max(10_000),
  action: z.union([
    z.strictObject({ status: z.number().int().min(400).max(599), reason: z.string().optional() }),
    z.strictObject({ reset: z.literal(true), afterBodyBytes: z.union([z.number().int().min(0), z.literal('all')]).optional() }),
    z.strictObject({ resetAfterCommit: z.literal(true) }),
    z.strictObject({ delayMs: z.number().int().min(0).max(600_000) }),
    z.strictObject({ failJob: z.strictObject({ reason: z.string().min(1), message: z.string().min(1) }) }),
    z.strictObject({ holdJob: z.strictObject({ ms: z.number().int().min(1).max(3_600_000) }) }),
  ]),
  existingJobsOnly: z.boolean().optional(),
});

/** The control path, outside the REST API: tests (or the sandbox) queue faults here. */
export const CONTROL_PATH = '/_emulator/faults';

/**
 * `POST /_emulator/faults` with a fault rule queues it; `GET` answers `{fired, pending, requests}` (fired faults and
 * requests received, by operation); `DELETE` clears the rules and counts.
 */
export async function handleControl(
  faults: FaultSwitch,
  requests: Map<string, number>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readBody(req);
  if (req.method === 'POST') {
    const parsed = faultRuleSchema.safeParse(parseJsonBody(body));
    if (!parsed.success)
      throw new GoogleHttpError(
        400,
        'invalid',
        `bad fault rule: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    faults.add(parsed.data);
  } else if (req.method === 'DELETE') {
    faults.clear();
    requests.clear();
  } else if (req.method !== 'GET') {
    throw new GoogleHttpError(405, 'invalid', `${req.method} is not supported on ${CONTROL_PATH}`);
  }
  sendJson(res, 200, { fired: faults.firedByOperation(), pending: faults.pending(), requests: Object.fromEntries(requests) });
}
