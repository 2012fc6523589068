import { openProject, type OpenProject } from '../../main/runtime/open-project.ts';
import type { BlockKind } from '../../main/model/block-kind.ts';
import type { RunEvent } from '../../main/model/run-events.ts';
import { createTempProject, type TempProject } from './temp-project.ts';
import { createTestRegistry } from './test-kinds.ts';

/** What a test body gets: the open project, every event of its runs, and a `run` that records them. */
export interface ProjectRun {
  open: OpenProject;
  events: RunEvent[];
  run: OpenProject['run'];
  temp: TempProject;
}

/**
 * Writes pipeline `p` (and `files`) into a temp project, opens it with the test kinds (plus `kinds`), runs `body`,
 * then closes and removes everything.
 */
export async function withPipeline(
  pipeline: Record<string, unknown>,
  body: (ctx: ProjectRun) => Promise<void>,
  opts: { settings?: Record<string, unknown>; files?: Record<string, string>; kinds?: BlockKind[] } = {},
): Promise<void> {
  const temp = createTempProject(opts.settings);
  temp.writePipeline('p', pipeline);
  for (const [file, text] of Object.entries(opts.files ?? {})) temp.writeFile(file, text);
  const registry = createTestRegistry();
  for (const kind of opts.kinds ?? []) registry.register(kind);
  const open = await openProject(temp.dir, { kinds: registry });
  const events: RunEvent[] = [];
  try {
    await body({
      open,
      events,
      temp,
      run: (request, onEvent) =>
        open.run(request, (e) => {
          events.push(e);
          onEvent?.(e);
        }),
    });
  } finally {
    await open.close();
    temp.cleanup();
  }
}

/** A source of the test kinds (`test_rows`) with its config. */
export function rowsBlock(id: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'source', kind: 'test_rows', config, ...extra };
}

/** A SQL transform reading `upstream`, its code at `blocks/<id>.sql`. */
export function sqlBlock(id: string, upstream: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'transform', kind: 'sql', file: `blocks/${id}.sql`, upstream, ...extra };
}
