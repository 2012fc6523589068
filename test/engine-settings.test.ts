import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { openProject } from '../main/runtime/open-project.ts';
import { createTempProject } from './helpers/temp-project.ts';

async function duckdbSettings(engine: Record<string, unknown>): Promise<{ dir: string; settings: Record<string, unknown> }> {
  const temp = createTempProject({ engine: { concurrency: 2, ...engine } });
  const open = await openProject(temp.dir);
  try {
    const result = await open.workspace.query(
      "select current_setting('temp_directory') as spill, current_setting('threads') as threads, current_setting('memory_limit') as memory",
      { offset: 0, limit: 1 },
    );
    const row = tableFromIPC(result.ipc).get(0)?.toJSON() ?? {};
    return { dir: temp.dir, settings: row };
  } finally {
    await open.close();
    temp.cleanup();
  }
}

test('a project sets DuckDB threads, memory limit and spill directory in pipewright.yaml', async () => {
  const custom = await duckdbSettings({ threads: 1, memory_limit: '300MB', spill_dir: 'scratch/spill' });
  assert.equal(custom.settings.spill, path.join(custom.dir, 'scratch', 'spill'));
  assert.equal(Number(custom.settings.threads), 1);
  assert.match(String(custom.settings.memory), /^28\d(\.\d+)? MiB$/, `300MB as DuckDB reports it: ${String(custom.settings.memory)}`);
  const defaults = await duckdbSettings({});
  assert.equal(defaults.settings.spill, path.join(defaults.dir, '.pipewright', 'spill'));
});
