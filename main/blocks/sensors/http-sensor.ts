import { z } from 'zod';
import type { BlockKind } from '../../model/block-kind.ts';
import { httpGet } from '../http-get.ts';
import { pollFields, pollUntilFound } from './poll.ts';

const configSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }),
  /** Seconds one request may take before it counts as "not yet". */
  request_timeout_seconds: z.number().positive().max(600).default(30),
  ...pollFields,
});

/** Waits until a URL answers 200 (GET; redirects followed). Other answers and network errors mean "not yet". */
export const httpSensor: BlockKind<z.infer<typeof configSchema>> = {
  type: 'sensor',
  kind: 'http',
  title: 'Wait for a URL to answer 200',
  configSchema,
  code: 'none',
  run(ctx, config) {
    return pollUntilFound(ctx, config, `${config.url} to answer 200`, async (signal) => {
      const request = AbortSignal.any([signal, AbortSignal.timeout(config.request_timeout_seconds * 1000)]);
      try {
        // node:http, not fetch: fetch can kill the process on an HTTP/1.0 server (see http-get.ts).
        const response = await httpGet(config.url, { signal: request });
        // Only the status matters: stop the body rather than download it.
        response.discard();
        if (response.status === 200) return `HTTP 200 from ${config.url}`;
        ctx.log('debug', `${config.url} answered ${response.status}`);
        return undefined;
      } catch (error) {
        if (signal.aborted) throw error;
        ctx.log('debug', `${config.url} did not answer: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    });
  },
};
