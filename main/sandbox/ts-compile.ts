import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { UserError, type ErrorPlace } from '../model/errors.ts';

/** A TypeScript file of the project: where it is and the text to compile. */
export interface TypeScriptSource {
  /** Path relative to the project root, as the user wrote it (`blocks/clean.ts`). */
  relPath: string;
  absPath: string;
  text: string;
}

export interface CompileOptions {
  /** Absolute project root: imports resolve against it and error locations are given relative to it. */
  projectDir: string;
  /** Where the worker will write the code; the inline source map points back to the sources relative to it. */
  outFile: string;
  /** Block id for error places. */
  block?: string;
}

const require = createRequire(import.meta.url);

/** The CommonJS entry of Pipewright's own apache-arrow, which blocks and the worker must share. */
export function arrowEntryPath(): string {
  return require.resolve('apache-arrow');
}

/**
 * Bundles one TypeScript file and the project files it imports into CommonJS with an inline source map;
 * `apache-arrow` stays an import of Pipewright's own copy. Compile errors become a UserError naming file, line and column.
 */
export async function compileTypeScript(source: TypeScriptSource, opts: CompileOptions): Promise<string> {
  try {
    const result = await esbuild.build({
      // The loaded text (what the run's code hash covers) is compiled, with imports resolved beside the file.
      stdin: { contents: source.text, sourcefile: source.absPath, resolveDir: path.dirname(source.absPath), loader: 'ts' },
      absWorkingDir: opts.projectDir,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      sourcemap: 'inline',
      // Node maps stack frames without the sources' text; leaving it out keeps the file small.
      sourcesContent: false,
      outfile: opts.outFile,
      write: false,
      logLevel: 'silent',
      plugins: [sharedArrowPlugin, pipewrightModulePlugin],
    });
    const output = result.outputFiles.find((file) => file.path.endsWith(path.extname(opts.outFile)));
    if (!output) throw new Error(`esbuild produced no output for ${source.relPath}`);
    return output.text;
  } catch (err) {
    throw isBuildFailure(err) ? toCompileError(err, source, opts) : err;
  }
}

/**
 * Marks `apache-arrow` external (as `external: ['apache-arrow']` would) but as the absolute path of Pipewright's copy:
 * the compiled file lives in a temp dir where a bare `apache-arrow` would not resolve, and the worker must load the
 * very same module so `instanceof Table` holds for what the block returns.
 */
const sharedArrowPlugin: esbuild.Plugin = {
  name: 'pipewright-shared-arrow',
  setup(build) {
    build.onResolve({ filter: /^apache-arrow$/ }, () => ({ path: arrowEntryPath(), external: true }));
  },
};

/**
 * `import { PermanentError } from 'pipewright'` in block code: an error the engine never retries (bad data that
 * another attempt cannot fix). Bundled into the block, so it needs no package; the worker recognises it by name.
 */
const PIPEWRIGHT_MODULE = `export class PermanentError extends Error {
  constructor(message, options) { super(message, options); this.name = 'PermanentError'; this.permanent = true; }
}
`;

const pipewrightModulePlugin: esbuild.Plugin = {
  name: 'pipewright-module',
  setup(build) {
    build.onResolve({ filter: /^pipewright$/ }, () => ({ path: 'pipewright', namespace: 'pipewright-module' }));
    build.onLoad({ filter: /.*/, namespace: 'pipewright-module' }, () => ({ contents: PIPEWRIGHT_MODULE, loader: 'js' }));
  },
};

function isBuildFailure(err: unknown): err is esbuild.BuildFailure {
  return err instanceof Error && Array.isArray((err as Partial<esbuild.BuildFailure>).errors);
}

function toCompileError(err: esbuild.BuildFailure, source: TypeScriptSource, opts: CompileOptions): UserError {
  const [first] = err.errors;
  if (!first) return new UserError(`could not compile ${source.relPath}: ${err.message}`, placeOf(opts, source.relPath));
  const more = err.errors.length > 1 ? ` (and ${err.errors.length - 1} more error${err.errors.length > 2 ? 's' : ''})` : '';
  const loc = first.location;
  if (!loc) return new UserError(`${first.text}${more}`, placeOf(opts, source.relPath));
  return new UserError(`${first.text}${more}`, {
    ...placeOf(opts, projectRelative(loc.file, source, opts.projectDir)),
    line: loc.line,
    // esbuild counts columns from 0; places count from 1.
    column: loc.column + 1,
  });
}

function placeOf(opts: CompileOptions, file: string): ErrorPlace {
  return opts.block === undefined ? { file } : { block: opts.block, file };
}

/** esbuild names files relative to absWorkingDir, except the stdin entry, which it names by `sourcefile`. */
function projectRelative(file: string, source: TypeScriptSource, projectDir: string): string {
  if (file === '' || path.resolve(projectDir, file) === source.absPath) return source.relPath;
  return path.relative(projectDir, path.resolve(projectDir, file)).split(path.sep).join('/');
}
