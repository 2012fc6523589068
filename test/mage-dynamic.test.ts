import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { importMage } from '../main/mage/import-mage.ts';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { writeMageProject } from './helpers/mage-fixture.ts';
import { PYTHON, logsOf } from './helpers/python-blocks.ts';

const header = (decorator: string) =>
  `if '${decorator}' not in globals():\n    from mage_ai.data_preparation.decorators import ${decorator}\n\n\n`;

/**
 * A Mage project written from Mage's docs: a dynamic loader and its child as docs.mage.ai/design/blocks/dynamic-blocks
 * shows them, conditionals as on design/blocks/conditionals (the base template of development/blocks/conditionals/templates),
 * and a @sensor block.
 */
const FILES: Record<string, string> = {
  'metadata.yaml': 'project_uuid: 5e1d\nproject_type: standalone\n',
  'io_config.yaml': 'version: 0.1.1\ndefault:\n  POSTGRES_HOST: "{{ env_var(\'POSTGRES_HOST\') }}"\n',
  'data_loaders/users.py': `from typing import Dict, List
${header('data_loader')}@data_loader
def load_data(*args, **kwargs) -> List[List[Dict]]:
    users = []
    metadata = []

    for i in [3, 1, 2]:  # docs.mage.ai loops over range(3); out of order here, so child numbers must follow the list
        users.append(dict(id=i, name=f'user_{i}'))
        metadata.append(dict(block_uuid=f'for_user_{i}'))

    return [
        users,
        metadata,
    ]
`,
  'transformers/anonymize_user_data.py': `from typing import Dict, List
${header('transformer')}@transformer
def transform(data: Dict, *args, **kwargs) -> List[Dict]:
    data['id'] = int(data['id']) * 100
    return [data]
`,
  // Named like the standard library's numbers module on purpose: a block file must not shadow it.
  'data_loaders/numbers.py': `import pandas as pd
${header('data_loader')}@data_loader
def load(*args, **kwargs):
    return pd.DataFrame({'n': [1, 2, 3]})
`,
  'transformers/keep_numbers.py': `${header('transformer')}@transformer
def keep(df, *args, **kwargs):
    return df
`,
  'transformers/never_runs.py': `${header('transformer')}@transformer
def never(df, *args, **kwargs):
    raise RuntimeError('a false condition must keep this block from running')
`,
  'conditionals/has_three_rows.py': `${header('condition')}@condition
def evaluate_condition(df, *args, **kwargs) -> bool:
    print('rows seen by the condition:', len(df))
    return len(df) == 3
`,
  'conditionals/never.py': `${header('condition')}@condition
def evaluate_condition(*args, **kwargs) -> bool:
    return False
`,
  'sensors/wait_for_flag.py': `import os
from mage_ai.settings.repo import get_repo_path
${header('sensor')}@sensor
def check_condition(*args, **kwargs) -> bool:
    return os.path.exists(os.path.join(get_repo_path(), 'landing', 'ready.txt'))
`,
  'pipelines/flow/metadata.yaml': `blocks:
- configuration:
    dynamic: true
  downstream_blocks: [anonymize_user_data]
  language: python
  name: users
  type: data_loader
  upstream_blocks: []
  uuid: users
- configuration:
    reduce_output: true
  downstream_blocks: []
  language: python
  name: anonymize_user_data
  type: transformer
  upstream_blocks: [users]
  uuid: anonymize_user_data
- configuration: {}
  language: python
  name: numbers
  type: data_loader
  upstream_blocks: []
  uuid: numbers
- configuration: {}
  language: python
  name: keep_numbers
  type: transformer
  upstream_blocks: [wait_for_flag, numbers]
  uuid: keep_numbers
- configuration: {}
  language: python
  name: never_runs
  type: transformer
  upstream_blocks: [numbers]
  uuid: never_runs
- configuration: {}
  language: python
  name: wait_for_flag
  type: sensor
  upstream_blocks: []
  uuid: wait_for_flag
conditionals:
- configuration: {}
  language: python
  name: has_three_rows
  type: conditional
  upstream_blocks: [keep_numbers]
  uuid: has_three_rows
- configuration: {}
  language: python
  name: never
  type: conditional
  upstream_blocks: [never_runs]
  uuid: never
name: flow
type: python
uuid: flow
`,
};

let tmp: string;
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'pw-mage-dyn-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir`, relative, except Pipewright's own state folder. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .filter((rel) => !rel.startsWith('.pipewright'))
    .sort();
}

/** Imports the fixture as `name`, lets `prepare` touch the imported project, runs pipeline flow and keeps it open. */
async function importAndRun(name: string, prepare: (into: string) => void) {
  const mage = path.join(tmp, name);
  writeMageProject(mage, FILES);
  const into = path.join(tmp, `${name}-pw`);
  const imported = await importMage(mage, { into, python: PYTHON });
  prepare(into);
  const before = listFiles(into);
  const open = await openProject(into, { kinds: createDefaultRegistry() });
  const events: RunEvent[] = [];
  const pipeline = await open.loadPipeline('flow');
  const result = await open.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e) => events.push(e));
  return { into, events, open, result, before, log: imported.log };
}

describe('Mage dynamic blocks, conditionals and sensors', () => {
  it('run unchanged: each item fans out a child that gets it as Mage gives it, conditions skip, the sensor waits; nothing is written into the project', async () => {
    const { into, events, open, result, before, log } = await importAndRun('flow', (dir) => {
      writeMageProject(dir, { 'landing/ready.txt': 'go\n' }); // what the @sensor looks for
    });
    try {
      assert.equal(result.status, 'succeeded', JSON.stringify(events.filter((e) => e.type === 'block.failed')));
      // The report: all of it runs as Python, nothing needs attention.
      const outcome = (subject: string) => log.entries.find((e) => e.subject === subject)?.outcome;
      assert.deepEqual(['users', 'anonymize_user_data', 'has_three_rows', 'never', 'wait_for_flag'].map(outcome), [
        'python',
        'python',
        'python',
        'python',
        'python',
      ]);
      const pipeline = parse(readFileSync(path.join(into, 'pipelines/flow/pipeline.yaml'), 'utf8')) as {
        blocks: Record<string, unknown>[];
      };
      assert.deepEqual(
        pipeline.blocks.find((b) => b.id === 'wait_for_flag'),
        {
          id: 'wait_for_flag',
          type: 'sensor',
          kind: 'python',
          file: 'blocks/wait_for_flag.py',
          config: { function: 'check_condition' },
        },
      );
      // Dynamic: three children, numbered in the loader's list order (3, 1, 2), each returning [item] with its id changed.
      const rows = await queryRows(open, 'SELECT id, name FROM flow.anonymize_user_data ORDER BY id');
      assert.deepEqual(
        rows.map((r) => [Number(r.id), r.name]),
        [
          [100, 'user_1'],
          [200, 'user_2'],
          [300, 'user_3'],
        ],
      );
      assert.ok(
        logsOf(events, 'anonymize_user_data[0]').includes('Mage child anonymize_user_data:for_user_3'),
        logsOf(events, 'anonymize_user_data[0]').join('\n'),
      );
      assert.ok(logsOf(events, 'anonymize_user_data[2]').includes('Mage child anonymize_user_data:for_user_2'));
      // A block after the sensor gets its real upstream first: the sensor's row goes last, into Mage's *args.
      assert.deepEqual(pipeline.blocks.find((b) => b.id === 'keep_numbers')?.upstream, ['numbers', 'wait_for_flag']);
      // Conditionals: the true one lets its block run (and saw the upstream DataFrame); the false one skips its block.
      assert.ok(events.some((e) => e.type === 'block.succeeded' && e.blockId === 'keep_numbers'));
      assert.ok(logsOf(events, 'keep_numbers').includes('rows seen by the condition: 3'), logsOf(events, 'keep_numbers').join('\n'));
      const skipped = events.find((e) => e.type === 'block.skipped' && e.blockId === 'never_runs');
      assert.equal(
        skipped?.type === 'block.skipped' && skipped.reason,
        'condition false: blocks/conditionals/never.py (evaluate_condition)',
      );
      // The sensor found what it waited for.
      const [sensed] = await queryRows(open, 'SELECT found, checks FROM flow.wait_for_flag');
      assert.deepEqual([sensed?.found, Number(sensed?.checks)], ['True', 1]);
      // Python ran conditions, sensor and blocks without writing a file into the project (no __pycache__, no job files).
      assert.deepEqual(listFiles(into), before);
    } finally {
      await open.close();
    }
  });

  it('a dynamic block that returns neither a DataFrame nor a list is told so at its def line', async () => {
    const files = {
      ...FILES,
      'data_loaders/users.py': `${header('data_loader')}@data_loader\ndef load_data(*args, **kwargs):\n    return 42\n`,
    };
    const mage = path.join(tmp, 'bad-dynamic');
    writeMageProject(mage, files);
    const into = path.join(tmp, 'bad-dynamic-pw');
    await importMage(mage, { into, python: PYTHON });
    writeMageProject(into, { 'landing/ready.txt': '' });
    const open = await openProject(into, { kinds: createDefaultRegistry() });
    try {
      const events: RunEvent[] = [];
      await open.run({ pipeline: await open.loadPipeline('flow'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e) =>
        events.push(e),
      );
      const failed = events.find((e) => e.type === 'block.failed' && e.blockId === 'users');
      assert.ok(failed?.type === 'block.failed');
      assert.deepEqual(failed.error.place, { block: 'users', file: 'blocks/users.py', line: 6 });
      assert.match(
        failed.error.message,
        /^load_data: a dynamic block returns a DataFrame \(one row per item\) or a list of items, \[items, metadata\] as in Mage; it returned int$/,
      );
    } finally {
      await open.close();
    }
  });
});

async function queryRows(open: Awaited<ReturnType<typeof openProject>>, sql: string): Promise<Record<string, unknown>[]> {
  const result = await open.workspace.query(sql, { offset: 0, limit: 1000 });
  return tableFromIPC(result.ipc)
    .toArray()
    .map((r) => r.toJSON() as Record<string, unknown>);
}
