/**
 * Loaded with `node --import` into a real CLI process (serve, schedule): adds a `source/test_fault` block kind whose
 * work throws from a timer (`mode: throw`) or leaves a rejected promise unhandled (`mode: reject`), the way a buggy
 * library callback would, and makes SIGUSR2 throw outside any block. Production code is untouched: the registry's
 * lookup is wrapped here.
 */
import { z } from 'zod';
import { BlockRegistry } from '../../main/engine/registry.ts';
import type { BlockKind } from '../../main/engine/block-kind.ts';

const config = z.strictObject({ mode: z.enum(['throw', 'reject']) });

const faultKind: BlockKind<z.infer<typeof config>> = {
  type: 'source',
  kind: 'test_fault',
  title: 'Test fault',
  configSchema: config,
  code: 'none',
  run(ctx, { mode }) {
    if (mode === 'throw') {
      setTimeout(() => {
        throw new Error('boom from a library callback');
      }, 5);
    } else {
      void Promise.reject(new Error('a promise nobody awaited'));
    }
    // Never settles by itself: only the fault (or cancellation) ends the attempt.
    return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  },
};

const originalGet = BlockRegistry.prototype.get;
BlockRegistry.prototype.get = function get(type, kind) {
  return type === 'source' && kind === 'test_fault' ? (faultKind as BlockKind) : originalGet.call(this, type, kind);
};

process.on('SIGUSR2', () => {
  throw new Error('a fault no block owns');
});
