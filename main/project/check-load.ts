import type { DataPath } from './yaml-file.ts';
import type { BlockSpec } from '../model/schema.ts';

/**
 * What can be refused in a block's `checks:` and `drift:` before any run: an export has no output to check, and a
 * relationships check reads another block only when that block is an upstream (the block's session reads no other).
 * Columns are checked against the output when the check runs (main/engine/block-checks.ts).
 */
export function checkSpecProblem(spec: BlockSpec): { at: DataPath; message: string } | undefined {
  if (spec.type === 'export' || spec.type === 'sensor') {
    if (spec.checks?.length)
      return {
        at: ['checks'],
        message: `block ${spec.id} is ${spec.type === 'export' ? 'an export' : 'a sensor'}: it has no output to check`,
      };
    if (spec.drift)
      return {
        at: ['drift'],
        message: `block ${spec.id} is ${spec.type === 'export' ? 'an export' : 'a sensor'}: it has no output to compare`,
      };
  }
  for (const [index, check] of (spec.checks ?? []).entries()) {
    if (!('relationships' in check)) continue;
    const { to } = check.relationships;
    if (!spec.upstream.includes(to)) {
      return {
        at: ['checks', index, 'relationships', 'to'],
        message: `check relationships: ${to} is not an upstream of block ${spec.id}; add it to upstream`,
      };
    }
  }
  return undefined;
}
