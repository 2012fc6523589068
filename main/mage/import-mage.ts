import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, realpath, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { UserError } from '../model/errors.ts';
import type { MageSource } from './convert-block.ts';
import { convertIoConfig } from './convert-io-config.ts';
import { convertPipeline } from './convert-pipeline.ts';
import { ImportLog, lineOf, safeId } from './import-types.ts';
import { renderReport } from './import-report.ts';
import { pythonSyntaxErrors } from './python-syntax.ts';

export interface ImportOptions {
  into: string;
  /** Write into a folder that is not empty (a previous import), replacing the files the import writes. */
  force?: boolean;
  /** The interpreter written to pipewright.yaml (`python:`) and used to check the blocks' syntax. */
  python?: string;
}

export interface ImportResult {
  into: string;
  pipelines: string[];
  log: ImportLog;
}

/**
 * Imports a Mage project into a new Pipewright project at `opts.into`: 1. read io_config.yaml, 2. check the Python
 * files' syntax, 3. convert each pipeline, 4. write everything and IMPORT_REPORT.md. Nothing is written before step 4,
 * and nothing outside `into`. Rejects with a UserError when `source` is not a Mage project or `into` is not empty.
 */
export async function importMage(source: string, opts: ImportOptions): Promise<ImportResult> {
  const root = path.resolve(source);
  const into = path.resolve(opts.into);
  if (!existsSync(path.join(root, 'pipelines'))) throw new UserError(`${source} is not a Mage project: it has no pipelines/ folder`);
  if (into === root || into.startsWith(`${root}${path.sep}`))
    throw new UserError(`--into ${opts.into} is inside the Mage project: choose a folder outside it`);
  await refuseNonEmpty(into, opts.force === true);
  const log = new ImportLog();
  const read = (rel: string) =>
    readFile(path.join(root, rel), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') return undefined;
      throw error;
    });
  // 1. connections
  const ioText = (await read('io_config.yaml')) ?? '';
  const io = convertIoConfig(parseYaml(ioText, 'io_config.yaml', log), ioText, log);
  // 2. syntax of every Python block file, in one interpreter run
  const python = opts.python ?? 'python3';
  const pyFiles = await listPythonFiles(root);
  const syntax = await pythonSyntaxErrors(python, root, pyFiles);
  if (!syntax)
    log.add({ subject: 'python', outcome: 'attention', reason: `${python} did not run: Python files were not checked for syntax errors` });
  const src: MageSource = { read, syntax: syntax ?? new Map(), connections: new Set(Object.keys(io.connections)) };
  // 3. pipelines
  const pipelines = await convertPipelines(root, src, log);
  // 4. write
  const projectFile = {
    name: path.basename(root),
    engine: { concurrency: 4 },
    ...(io.defaultPostgres ? { default_connections: { postgres: io.defaultPostgres } } : {}),
    ...(opts.python ? { python: opts.python } : {}),
  };
  log.write('pipewright.yaml', `# Imported from Mage project ${path.basename(root)} (see IMPORT_REPORT.md)\n${stringify(projectFile)}`);
  log.write('connections.yaml', `# From io_config.yaml: secrets are environment references, never values\n${stringify(io.connections)}`);
  log.write('.gitignore', '.pipewright/\n');
  log.write('IMPORT_REPORT.md', renderReport(path.basename(root), log));
  const previous = await readManifest(into);
  log.write(
    MANIFEST,
    `${JSON.stringify({ note: 'files pipewright import mage wrote; import --force removes those it no longer writes', files: [...log.files.keys(), MANIFEST].sort() }, null, 2)}\n`,
  );
  for (const [rel, text] of log.files) {
    const file = path.join(into, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  await removeStale(
    into,
    previous.filter((rel) => !log.files.has(rel)),
  );
  return { into, pipelines, log };
}

async function convertPipelines(root: string, src: MageSource, log: ImportLog): Promise<string[]> {
  const folders = (await readdir(path.join(root, 'pipelines'), { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const ids = new Set<string>();
  const byName = new Map<string, string[]>();
  for (const uuid of folders) {
    const file = `pipelines/${uuid}/metadata.yaml`;
    const text = await src.read(file);
    if (text === undefined) continue; // a folder without metadata.yaml is not a pipeline (e.g. __pycache__)
    const meta = parseYaml(text, file, log, uuid);
    if (!meta || typeof meta !== 'object') continue;
    let id = safeId(uuid);
    for (let n = 2; ids.has(id); n++) id = `${safeId(uuid)}_${n}`;
    ids.add(id);
    const m = meta as Record<string, unknown>;
    const name = typeof m.name === 'string' ? m.name : uuid;
    byName.set(name, [...(byName.get(name) ?? []), id]);
    if (m.type !== undefined && m.type !== 'python') {
      log.add({
        pipeline: id,
        subject: id,
        outcome: 'attention',
        reason: `${String(m.type)} pipelines are not supported: not imported`,
        file,
        line: lineOf(text, /^type:/m),
      });
      continue;
    }
    await convertPipeline(uuid, id, m, text, src, log);
  }
  for (const [name, same] of byName) {
    if (same.length > 1)
      log.add({ subject: name, outcome: 'attention', reason: `pipelines ${same.join(', ')} share the name '${name}': told apart by id` });
  }
  return [...ids];
}

function parseYaml(text: string, file: string, log: ImportLog, pipeline?: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    log.add({
      ...(pipeline ? { pipeline: safeId(pipeline) } : {}),
      subject: file,
      outcome: 'attention',
      reason: `not valid YAML: ${(error as Error).message.split('\n')[0]}: not imported`,
      file,
      line,
    });
    return undefined;
  }
}

async function listPythonFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const folder of ['data_loaders', 'transformers', 'data_exporters', 'custom', 'sensors', 'conditionals']) {
    const entries = await readdir(path.join(root, folder)).catch(() => [] as string[]);
    out.push(...entries.filter((e) => e.endsWith('.py')).map((e) => `${folder}/${e}`));
  }
  return out;
}

async function refuseNonEmpty(into: string, force: boolean): Promise<void> {
  const info = await stat(into).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) throw new UserError(`${into} is a file: --into needs a folder`);
  const entries = (await readdir(into)).filter((e) => e !== '.git');
  if (entries.length > 0 && !force) {
    const already = entries.includes('IMPORT_REPORT.md') ? 'holds an earlier import' : `is not empty (${entries.slice(0, 3).join(', ')})`;
    throw new UserError(`${into} ${already}: add --force to write over it`);
  }
}

/** The list of files an import wrote, so that `--force` can remove those a later import no longer writes. */
const MANIFEST = '.mage-import.json';

async function readManifest(into: string): Promise<string[]> {
  const text = await readFile(path.join(into, MANIFEST), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return [];
  try {
    const files = (JSON.parse(text) as { files?: unknown }).files;
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return []; // an edited, unreadable list: nothing is removed rather than guessing
  }
}

/**
 * Removes files an earlier import wrote that this one did not, and the folders that leaves empty. Only paths that stay
 * inside `into` (no `..`, not absolute, no symlinked folder on the way) are touched: the list is a file a user can edit.
 */
async function removeStale(target: string, stale: string[]): Promise<void> {
  const into = await realpath(target);
  for (const rel of stale) {
    const file = path.resolve(into, rel);
    if (path.isAbsolute(rel) || !file.startsWith(`${into}${path.sep}`) || rel.split(/[\\/]/).includes('..')) continue;
    if ((await realpath(path.dirname(file)).catch(() => undefined)) !== path.dirname(file)) continue; // gone, or through a symlink
    await rm(file, { force: true });
    for (let dir = path.dirname(file); dir !== into && dir.startsWith(`${into}${path.sep}`); dir = path.dirname(dir)) {
      if ((await readdir(dir)).length > 0) break;
      await rmdir(dir);
    }
  }
}
