import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../model/errors.ts';
import { sha256 } from '../project/hash.ts';
import type { Pipeline } from '../model/project.ts';
import { writeAtomically } from '../project/pipeline-writer.ts';

/** A block's code file as the editor holds it: the text and the hash a later save must match. */
export interface BlockCodeText {
  /** Path relative to the project root, as written in pipeline.yaml. */
  file: string;
  text: string;
  /** sha256 of the text on disk (lowercase hex). */
  hash: string;
}

/** The block's code file read from disk now (not from the pipeline's load), with its hash. */
export async function readBlockCode(projectDir: string, pipeline: Pipeline, blockId: string): Promise<BlockCodeText> {
  const { file, absPath } = codeFileOf(projectDir, pipeline, blockId);
  const text = await readTextOrEmpty(absPath);
  return { file, text, hash: sha256(text) };
}

/**
 * Writes the block's code file atomically (temp file + rename). With `expectedHash`, refuses
 * with a conflict (place.path `expectedHash`) when the file on disk no longer has that hash; without, overwrites.
 */
export async function saveBlockCode(
  projectDir: string,
  pipeline: Pipeline,
  blockId: string,
  text: string,
  expectedHash?: string,
): Promise<BlockCodeText> {
  const { file, absPath } = codeFileOf(projectDir, pipeline, blockId);
  if (expectedHash !== undefined) {
    const current = sha256(await readTextOrEmpty(absPath));
    if (current !== expectedHash) {
      throw new UserError(`${file} changed on disk since it was opened here: reload it, or save again to overwrite it`, {
        block: blockId,
        file,
        path: 'expectedHash',
      });
    }
  }
  await writeAtomically(absPath, text);
  return { file, text, hash: sha256(text) };
}

function codeFileOf(projectDir: string, pipeline: Pipeline, blockId: string): { file: string; absPath: string } {
  const block = pipeline.blocks.find((b) => b.id === blockId);
  if (!block) throw new UserError(`pipeline ${pipeline.id} has no block ${blockId}`, { block: blockId });
  if (!block.file) throw new UserError(`block ${blockId} has no code file (file: in pipeline.yaml)`, { block: blockId });
  const root = path.resolve(projectDir);
  const absPath = path.resolve(root, block.file);
  // pipeline.yaml is user-written: a `file:` must not reach outside the project.
  if (!absPath.startsWith(root + path.sep)) {
    throw new UserError(`block ${blockId}: ${block.file} is outside the project folder`, { block: blockId, path: 'file' });
  }
  return { file: block.file, absPath };
}

async function readTextOrEmpty(absPath: string): Promise<string> {
  try {
    return await readFile(absPath, 'utf8');
  } catch (error) {
    // A code file not written yet reads as empty: the first save creates it.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}
