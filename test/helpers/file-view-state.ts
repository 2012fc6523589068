import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ProjectRun } from './run-project.ts';

/** The workspace's outputs that are file views (views in `_pw_out`), sorted. */
export async function outputViews(ctx: ProjectRun): Promise<string[]> {
  const rows = await ctx.open.workspace.readRows("SELECT view_name FROM duckdb_views() WHERE schema_name = '_pw_out' ORDER BY 1");
  return rows.map((r) => String(r.view_name));
}

/** The folders of file views' linked files under `.pipewright/outputs`, sorted (none when the folder is absent). */
export function linkDirs(ctx: ProjectRun): string[] {
  const dir = path.join(ctx.open.project.stateDir, 'outputs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
