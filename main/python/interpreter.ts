import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Project } from '../model/project.ts';

/** The interpreter a project's Python blocks run with. */
export interface PythonInterpreter {
  /** What to spawn: an absolute path, or a command name looked up on the PATH. */
  command: string;
  /** As written in pipewright.yaml (or the default), for messages. */
  written: string;
  /** Whether it came from `python:` in pipewright.yaml. */
  isConfigured: boolean;
}

const DEFAULT_PYTHON = process.platform === 'win32' ? 'python' : 'python3';

/** `python:` of pipewright.yaml (a path relative to the project, or a command on the PATH), else python3 on the PATH. */
export function projectInterpreter(project: Project): PythonInterpreter {
  const written = project.settings.python;
  if (!written) return { command: DEFAULT_PYTHON, written: DEFAULT_PYTHON, isConfigured: false };
  const isPath = written.includes('/') || written.includes('\\');
  return { command: isPath ? path.resolve(project.dir, written) : written, written, isConfigured: true };
}

/** Pip package names of modules whose import name differs from it. */
const PIP_NAMES: Record<string, string> = {
  sklearn: 'scikit-learn',
  yaml: 'PyYAML',
  PIL: 'Pillow',
  cv2: 'opencv-python',
  bs4: 'beautifulsoup4',
  dateutil: 'python-dateutil',
  dotenv: 'python-dotenv',
  psycopg2: 'psycopg2-binary',
  google: 'google-cloud-<name>',
};

/** The command that installs `module` into this interpreter: `.venv/bin/pip install pandas`. */
export function pipInstallHint(interpreter: PythonInterpreter, module: string): string {
  const top = module.split('.')[0] ?? module;
  const pkg =
    top === 'google' && module.startsWith('google.cloud.') ? `google-cloud-${module.split('.')[2] ?? ''}` : (PIP_NAMES[top] ?? top);
  // A virtual environment's own pip installs into it; elsewhere `python -m pip` is the one that matches the interpreter.
  const binDir = path.dirname(interpreter.command);
  const pip = process.platform === 'win32' ? 'pip.exe' : 'pip';
  const isVenv =
    interpreter.isConfigured &&
    path.isAbsolute(interpreter.command) &&
    existsSync(path.join(binDir, '..', 'pyvenv.cfg')) &&
    existsSync(path.join(binDir, pip));
  return isVenv ? `${path.join(path.dirname(interpreter.written), 'pip')} install ${pkg}` : `${interpreter.written} -m pip install ${pkg}`;
}

/** The folder holding pw_harness.py and its helpers: beside this module in a checkout, under main/python/py in a bundle. */
function pythonSourceDir(moduleUrl: string = import.meta.url): string {
  const candidates = [new URL('./py/', moduleUrl), new URL('../../main/python/py/', moduleUrl)].map((u) => fileURLToPath(u));
  const found = candidates.find((dir) => existsSync(path.join(dir, 'pw_harness.py')));
  if (!found) throw new Error(`Pipewright's Python helpers are missing: looked in ${candidates.join(' and ')}`);
  return found;
}

/**
 * Copies Pipewright's Python helpers into `dir` and resolves to their folder. Copied, not run in place: a packaged
 * app keeps them inside its asar archive, which Python cannot read.
 */
export async function writePythonHelpers(dir: string): Promise<string> {
  const source = pythonSourceDir();
  const target = path.join(dir, 'pw-python');
  await mkdir(target, { recursive: true });
  // Every module of the folder: a helper added there cannot be left out of the copy.
  const helpers = (await readdir(source)).filter((file) => file.endsWith('.py'));
  await Promise.all(helpers.map((file) => copyFile(path.join(source, file), path.join(target, file))));
  return target;
}
