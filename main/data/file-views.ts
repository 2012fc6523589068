import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FileViewInfo } from '../model/workspace-types.ts';
import { OUTPUT_SCHEMA, outputTableRef, quoteLiteral } from './sql-names.ts';

/**
 * A file source's output may be a view over its files instead of a table (see BlockContext.isReadOnceBySql): the CSV
 * is then parsed once, by the block that reads it. The view reads private links to the files, in
 * `<workspace folder>/outputs/<physical>/`, so a later download that replaces the cached file (a new file renamed over
 * it) leaves the output as it was; dropping the output removes its links.
 */

const COMMENT_PREFIX = 'pipewright file view ';

/** The folder of the links of every file view of the workspace in `workspaceFile`. */
export function fileViewsDir(workspaceFile: string): string {
  return path.join(path.dirname(workspaceFile), 'outputs');
}

/**
 * Links each file into the output's own folder (a copy where the file system refuses links, or when asked) and
 * resolves to the paths there, in order. A file rewritten in place would change a link too: link only files that are
 * replaced, never rewritten (the download cache renames a complete `.part` over the old body); copy the others
 * (a copy-on-write clone where the file system offers one).
 */
export async function linkOutputFiles(dir: string, physical: string, files: readonly string[], how: LinkHow = {}): Promise<string[]> {
  const folder = path.join(dir, physical);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const { relativeTo } = how;
  return Promise.all(
    files.map(async (file, i) => {
      const target = path.join(folder, relativeTo === undefined ? `${i}-${path.basename(file)}` : path.relative(relativeTo, file));
      if (relativeTo !== undefined) await mkdir(path.dirname(target), { recursive: true });
      if (how.copy) {
        await copyFile(file, target, constants.COPYFILE_FICLONE);
        return target;
      }
      await link(file, target).catch(async (error: NodeJS.ErrnoException) => {
        // Another device, or a file system without hard links: a copy is as safe, only slower.
        if (error.code !== 'EXDEV' && error.code !== 'EPERM' && error.code !== 'ENOTSUP') throw error;
        await copyFile(file, target, constants.COPYFILE_FICLONE);
      });
      return target;
    }),
  );
}

/** How output files are kept: copied rather than linked; laid out as they are under `relativeTo` (Hive folders), not flat. */
export interface LinkHow {
  copy?: boolean;
  relativeTo?: string;
}

/** Creates the view `physical` over `selectSql` and records `info` in its comment. */
export async function createFileView(conn: DuckDBConnection, physical: string, selectSql: string, info: FileViewInfo): Promise<void> {
  await conn.run(`CREATE OR REPLACE VIEW ${outputTableRef(physical)} AS ${selectSql}`);
  await conn.run(`COMMENT ON VIEW ${outputTableRef(physical)} IS ${quoteLiteral(COMMENT_PREFIX + JSON.stringify(info))}`);
}

/** The file views among `physicals`, with what their comments record (one query). */
export async function readFileViews(conn: DuckDBConnection, physicals: readonly string[]): Promise<Map<string, FileViewInfo>> {
  const found = new Map<string, FileViewInfo>();
  if (physicals.length === 0) return found;
  const reader = await conn.runAndReadAll(
    `SELECT view_name, comment FROM duckdb_views() WHERE schema_name = $1 AND database_name = current_database()
       AND view_name IN (${physicals.map(quoteLiteral).join(', ')})`,
    [OUTPUT_SCHEMA],
  );
  for (const [name, comment] of reader.getRowsJS()) {
    const text = typeof comment === 'string' ? comment : '';
    if (text.startsWith(COMMENT_PREFIX)) found.set(String(name), JSON.parse(text.slice(COMMENT_PREFIX.length)) as FileViewInfo);
  }
  return found;
}

/** Every output view of the workspace (file views; `_pw_out` holds no other views). */
export async function readOutputViews(conn: DuckDBConnection): Promise<string[]> {
  const reader = await conn.runAndReadAll(
    'SELECT view_name FROM duckdb_views() WHERE schema_name = $1 AND database_name = current_database() AND NOT internal',
    [OUTPUT_SCHEMA],
  );
  return reader.getRowsJS().map(([name]) => String(name));
}

/** Drops an output: a table, or a file view and its linked files. */
export async function dropOutput(conn: DuckDBConnection, dir: string, physical: string, isFileView: boolean): Promise<void> {
  await conn.run(`DROP ${isFileView ? 'VIEW' : 'TABLE'} IF EXISTS ${outputTableRef(physical)}`);
  if (isFileView) await rm(path.join(dir, physical), { recursive: true, force: true });
}

/** Removes link folders whose output is gone (a run killed between linking and creating its view). */
export async function removeOrphanLinks(dir: string, outputs: ReadonlySet<string>, isHeld: (physical: string) => boolean): Promise<void> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const name of names) if (!outputs.has(name) && !isHeld(name)) await rm(path.join(dir, name), { recursive: true, force: true });
}

/** Bytes of an output's linked files (0 for a table). */
export async function linkedBytes(dir: string, physical: string): Promise<number> {
  const folder = path.join(dir, physical);
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []); // a table has no folder
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * Points file views at `dir` again after the project folder moved (their SQL names the linked files by absolute
 * path): each view whose files lie under another folder is re-created over the same files here. Nothing to do, one
 * catalog query, when the folder stayed where it was.
 */
export async function reanchorFileViews(conn: DuckDBConnection, dir: string): Promise<void> {
  const reader = await conn.runAndReadAll(
    'SELECT view_name, comment, sql FROM duckdb_views() WHERE schema_name = $1 AND database_name = current_database() AND NOT internal',
    [OUTPUT_SCHEMA],
  );
  for (const [name, comment, sql] of reader.getRowsJS()) {
    const physical = String(name);
    const text = typeof comment === 'string' ? comment : '';
    if (!text.startsWith(COMMENT_PREFIX)) continue;
    const info = JSON.parse(text.slice(COMMENT_PREFIX.length)) as FileViewInfo;
    const first = info.files[0]?.path;
    // The links live in `<dir>/<physical>/`, flat or in Hive folders below it.
    const at = first?.lastIndexOf(`${path.sep}${physical}${path.sep}`) ?? -1;
    if (first === undefined || at < 0) continue;
    const oldDir = first.slice(0, at);
    if (oldDir === dir) continue;
    const moved = (file: string) => path.join(dir, path.relative(oldDir, file));
    const select = /\bAS\s+(SELECT[\s\S]*?);?\s*$/i.exec(String(sql))?.[1];
    if (select === undefined) continue;
    // Every path literal of the view names one of its files: replace the old folder's literal prefix.
    const reanchored = select.replaceAll(quoteLiteral(oldDir + path.sep).slice(0, -1), quoteLiteral(dir + path.sep).slice(0, -1));
    await createFileView(conn, physical, reanchored, { ...info, files: info.files.map((f) => ({ ...f, path: moved(f.path) })) }).catch(
      (error: unknown) => void error, // its files are not in the new place either: the view stays, and reading it names the file
    );
  }
}
