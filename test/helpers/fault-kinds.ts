/**
 * Loaded with `node --import` into a real CLI process (serve, schedule): adds a `source/test_fault` block kind whose
 * work throws from a timer (`mode: throw`) or leaves a rejected promise unhandled (`mode: reject`), the way a buggy
 * library callback would, can make `export/postgres` fault mid-COPY, and makes SIGUSR2 throw outside any block. Production code is untouched: the registry's
 * lookup is wrapped here.
 */
import { z } from 'zod';
import { BlockRegistry } from '../../main/model/registry.ts';
import type { BlockKind } from '../../main/model/block-kind.ts';

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

/**
 * With PW_TEST_FAULT_IN_COPY set, `export/postgres` throws from a timer of its own 300 ms after it logs that its
 * COPY starts: a fault inside the export's work, mid-COPY.
 */
function faultDuringCopy(kind: BlockKind): BlockKind {
  return {
    ...kind,
    run(ctx, config) {
      const log: typeof ctx.log = (level, message) => {
        if (/^COPY as CSV/.test(message)) {
          setTimeout(() => {
            throw new Error('boom in the middle of a COPY');
          }, 300);
        }
        ctx.log(level, message);
      };
      return kind.run({ ...ctx, log }, config);
    },
  };
}

const originalGet = BlockRegistry.prototype.get;
BlockRegistry.prototype.get = function get(type, kind) {
  if (type === 'source' && kind === 'test_fault') return faultKind as BlockKind;
  const found = originalGet.call(this, type, kind);
  return found && type === 'export' && kind === 'postgres' && process.env.PW_TEST_FAULT_IN_COPY ? faultDuringCopy(found) : found;
};

process.on('SIGUSR2', () => {
  throw new Error('a fault no block owns');
});
