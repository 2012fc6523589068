import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../model/errors.ts';
import type { Project } from '../model/project.ts';
import { connectionsFileSchema, projectFileSchema } from '../model/schema.ts';
import { readYamlFile, validateYaml } from './yaml-file.ts';

export const PROJECT_FILE = 'pipewright.yaml';
export const CONNECTIONS_FILE = 'connections.yaml';
export const PIPELINE_FILE = 'pipeline.yaml';
const PIPELINE_ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Loads pipewright.yaml and connections.yaml and lists pipelines; never executes project code. */
export async function loadProject(dir: string): Promise<Project> {
  const root = path.resolve(dir);
  const projectSource = await readYamlFile(path.join(root, PROJECT_FILE), PROJECT_FILE);
  if (!projectSource) {
    throw new UserError(`no ${PROJECT_FILE} in ${root}: is this a Pipewright project? (\`pipewright init <dir>\` creates one)`, {
      file: PROJECT_FILE,
    });
  }
  const settings = validateYaml(projectSource, projectFileSchema);
  const connectionsSource = await readYamlFile(path.join(root, CONNECTIONS_FILE), CONNECTIONS_FILE);
  // A missing or empty connections.yaml means "no profiles yet".
  const connections = connectionsSource && connectionsSource.data !== null ? validateYaml(connectionsSource, connectionsFileSchema) : {};
  return {
    dir: root,
    stateDir: path.join(root, '.pipewright'),
    settings,
    connections,
    pipelineIds: await listPipelineIds(root),
  };
}

/** Finds the project root from a starting dir (walks up to the first folder holding pipewright.yaml). */
export async function findProjectRoot(start: string): Promise<string | undefined> {
  let dir = path.resolve(start);
  for (;;) {
    if (await isFile(path.join(dir, PROJECT_FILE))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Ids of the folders under `pipelines/` that hold a pipeline.yaml and are valid identifiers, sorted. */
export async function listPipelineIds(root: string): Promise<string[]> {
  const pipelinesDir = path.join(root, 'pipelines');
  const entries = await readdir(pipelinesDir, { withFileTypes: true }).catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return [];
    throw error;
  });
  const ids: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !isPipelineId(entry.name)) continue;
    if (await isFile(path.join(pipelinesDir, entry.name, PIPELINE_FILE))) ids.push(entry.name);
  }
  return ids.sort();
}

/** Whether `id` can name a pipeline folder (an identifier: letters, digits and _, not starting with a digit). */
export function isPipelineId(id: string): boolean {
  return PIPELINE_ID.test(id) && id.length <= 63;
}

const NOT_THERE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM']);

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    // A file we may not even stat is, for finding projects and pipelines, not there.
    if (error instanceof Error && 'code' in error && NOT_THERE.has(String(error.code))) return false;
    throw error;
  }
}
