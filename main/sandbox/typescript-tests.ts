import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tableToIPC, type Table } from 'apache-arrow';
import { UserError } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type { BlockTestResult } from '../model/run-events.ts';
import { runTypeScript } from './ts-runner.ts';
import type { TypeScriptSource } from './ts-compile.ts';

/** A TypeScript test of a block's output, as written under `tests:` in pipeline.yaml. */
export interface TypeScriptTestSpec {
  name: string;
  file: string;
  export?: string;
}

/**
 * Runs a test's exported function `(output: Table, ctx)` in a worker: passed when it returns, failed with the thrown
 * message and `file:line:column` when it throws or cannot be compiled. Cancellation and timeouts reject instead.
 */
export async function runTypeScriptTest(ctx: BlockContext, test: TypeScriptTestSpec, output: Table): Promise<BlockTestResult> {
  try {
    const source = await testSource(ctx, test.file);
    await runTypeScript({
      ctx,
      source,
      mode: 'test',
      // A test file without an export named `test` may still default-export its function.
      exportNames: test.export ? [test.export] : ['test', 'default'],
      inputs: [{ id: ctx.block.id, ipc: tableToIPC(output, 'stream') }],
    });
    return { name: test.name, passed: true };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { name: test.name, passed: false, message: withPlace(err) };
  }
}

/** The test file as the project loader read it; read now when the loader did not. */
async function testSource(ctx: BlockContext, file: string): Promise<TypeScriptSource> {
  const loaded = ctx.block.testCode[file];
  if (loaded) return { relPath: loaded.relPath, absPath: loaded.absPath, text: loaded.text };
  const absPath = path.resolve(ctx.project.dir, file);
  const text = await readFile(absPath, 'utf8').catch((err: unknown) => {
    throw new UserError(`cannot read the test file: ${err instanceof Error ? err.message : String(err)}`, { block: ctx.block.id, file });
  });
  return { relPath: file, absPath, text };
}

function withPlace(err: UserError): string {
  const { file, line, column } = err.place;
  if (!file) return err.message;
  return `${err.message} (${[file, line, column].filter((part) => part !== undefined).join(':')})`;
}
