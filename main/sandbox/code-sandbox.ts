import type { CodeSandbox } from '../model/engine-types.ts';
import { runPythonPredicate } from '../python/python-predicate.ts';
import { typescriptConditionHolds } from './typescript-condition.ts';
import { runTypeScriptTest } from './typescript-tests.ts';

/** The sandbox the engine is handed (EngineDeps.sandbox): worker threads and the project's Python, nothing written into the project. */
export const typescriptSandbox: CodeSandbox = {
  typescriptConditionHolds,
  runTypeScriptTest,
  pythonConditionHolds: (ctx, condition, upstream) =>
    runPythonPredicate(ctx, {
      role: 'condition',
      file: condition.python,
      upstream,
      place: { block: ctx.block.id, path: 'condition.python', file: condition.python },
      ...(condition.function ? { function: condition.function } : {}),
    }),
};
