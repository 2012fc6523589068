import { UserError } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';

/** The one upstream block an export writes; a UserError naming the block when it has none or several. */
export function onlyUpstream(ctx: BlockContext): string {
  const [first, ...rest] = ctx.block.upstream;
  if (first === undefined || rest.length > 0) {
    const got = ctx.block.upstream.length === 0 ? 'none' : ctx.block.upstream.join(', ');
    throw new UserError(`an export writes exactly one upstream block; this one has ${got}`, { block: ctx.block.id, path: 'upstream' });
  }
  return first;
}
