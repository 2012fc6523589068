import type { CodeSandbox } from '../model/engine-types.ts';
import { typescriptConditionHolds } from './typescript-condition.ts';
import { runTypeScriptTest } from './typescript-tests.ts';

/** The TypeScript sandbox the engine is handed (EngineDeps.sandbox): worker threads, nothing written into the project. */
export const typescriptSandbox: CodeSandbox = { typescriptConditionHolds, runTypeScriptTest };
