import { spawn } from 'node:child_process';
import path from 'node:path';

const CHECK = `
import ast, json, sys
out = {}
for rel in sys.argv[2:]:
    try:
        with open(sys.argv[1] + '/' + rel, encoding='utf-8') as f:
            ast.parse(f.read(), rel)
    except SyntaxError as e:
        out[rel] = {'message': '%s: %s' % (type(e).__name__, e.msg), 'line': e.lineno or 1}
    except (OSError, UnicodeDecodeError) as e:
        out[rel] = {'message': str(e), 'line': 1}
print(json.dumps(out))
`;

/**
 * Syntax errors of the project's Python files, by relative path, from one run of `python` (parsing only, nothing
 * executed). Resolves to undefined when the interpreter cannot run: the report then says files were not checked.
 */
export function pythonSyntaxErrors(
  python: string,
  dir: string,
  files: string[],
): Promise<Map<string, { message: string; line: number }> | undefined> {
  if (files.length === 0) return Promise.resolve(new Map());
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', CHECK, path.resolve(dir), ...files], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', () => resolve(undefined)); // no interpreter: reported as "not checked"
    child.on('close', (code) => {
      try {
        resolve(code === 0 ? new Map(Object.entries(JSON.parse(out) as Record<string, { message: string; line: number }>)) : undefined);
      } catch {
        resolve(undefined); // not our JSON: same as no interpreter
      }
    });
  });
}
