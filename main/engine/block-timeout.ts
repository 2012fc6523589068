import type { EngineSettings } from '../model/schema.ts';
import type { LoadedBlock } from '../model/project.ts';

/**
 * The timeout of a block attempt when neither the block nor pipewright.yaml sets one: long enough for a month of
 * trips downloaded over a slow line and loaded into a warehouse, short enough that a `while (true)` is stopped the
 * same day rather than never.
 */
export const DEFAULT_BLOCK_TIMEOUT_S = 2 * 60 * 60;

/** Seconds an attempt of `block` may take, with where that limit comes from; undefined when explicitly off. */
export function blockTimeout(
  block: Pick<LoadedBlock, 'type' | 'timeout'>,
  engine: Pick<EngineSettings, 'block_timeout'>,
): { seconds: number; source: string } | undefined {
  if (block.timeout !== undefined) return block.timeout === null ? undefined : { seconds: block.timeout, source: "the block's timeout" };
  if (engine.block_timeout !== undefined)
    return engine.block_timeout === null ? undefined : { seconds: engine.block_timeout, source: 'block_timeout in pipewright.yaml' };
  // A sensor waits as long as its own timeout_seconds says; only an explicit limit cuts it shorter.
  if (block.type === 'sensor') return undefined;
  return {
    seconds: DEFAULT_BLOCK_TIMEOUT_S,
    source: 'the default block timeout; set timeout: on the block or block_timeout in pipewright.yaml',
  };
}
