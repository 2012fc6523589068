import { createHash } from 'node:crypto';
import type { BlockCode, LoadedBlock } from '../model/project.ts';

/** sha256 of a text (UTF-8), as lowercase hex. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * sha256 over the code and test-code files of `blocks`, in block order (tests in their listed order).
 * Each file enters with its path and length, so moving text from one file to the next changes the hash.
 */
export function hashBlockCode(blocks: readonly LoadedBlock[]): string {
  const hash = createHash('sha256');
  const add = (code: BlockCode) => {
    hash.update(`${code.relPath}\n${Buffer.byteLength(code.text, 'utf8')}\n`, 'utf8');
    hash.update(code.text, 'utf8');
  };
  for (const block of blocks) {
    if (block.code) add(block.code);
    for (const test of block.tests) {
      const code = 'file' in test ? block.testCode[test.file] : undefined;
      if (code) add(code);
    }
  }
  return hash.digest('hex');
}
