import { z } from 'zod';
import { UserError } from '../../model/errors.ts';
import type { BlockKind } from '../../model/block-kind.ts';
import { runPythonPredicate } from '../../python/python-predicate.ts';
import { pollFields, pollUntilFound } from './poll.ts';

const configSchema = z.strictObject({
  /** The function to call; default: the one decorated @sensor (Mage's). */
  function: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python function name')
    .optional(),
  ...pollFields,
});

/**
 * Waits until a Python function returns True: Mage's `@sensor def check(*args, **kwargs) -> bool`, run in the project's
 * interpreter once per check (each check a fresh process, so a stuck check is killed by cancel and timeout like a block).
 */
export const pythonSensor: BlockKind<z.infer<typeof configSchema>> = {
  type: 'sensor',
  kind: 'python',
  title: 'Wait until a Python function returns True',
  configSchema,
  code: 'required',
  codeExtension: '.py',
  run(ctx, config) {
    const file = ctx.block.code?.relPath ?? ctx.block.file;
    if (!file) throw new UserError('a python sensor needs a .py file (file: blocks/<name>.py)', { block: ctx.block.id });
    const predicate = {
      role: 'sensor' as const,
      file,
      upstream: [],
      place: { block: ctx.block.id, file },
      ...(config.function ? { function: config.function } : {}),
    };
    const what = `${config.function ?? '@sensor'} in ${file} to return True`;
    let isChecked = false; // the interpreter and imports are probed before the first check only
    return pollUntilFound(ctx, config, what, async () => {
      const holds = await runPythonPredicate(ctx, { ...predicate, isChecked });
      isChecked = true;
      return holds ? 'True' : undefined;
    });
  },
};
