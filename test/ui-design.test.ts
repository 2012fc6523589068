import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, closeSpecApp, type AppUnderTest } from './helpers/app.ts';
import { waitUntil } from './helpers/wait-until.ts';

const SCREENSHOTS = path.resolve('test-results');
let temp: TempProject;
let app: AppUnderTest;
let page: Page;
const node = (name: string) => page.getByRole('button', { name, exact: true });
const pipelineFile = () => readFileSync(path.join(temp.dir, 'pipelines/trips/pipeline.yaml'), 'utf8');

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  temp = createTempProject();
  temp.writeFile('data/trips.csv', 'trip_id,zone,fare,tip\n1,north,10.5,1\n2,south,7.25,0\n3,north,3,0.5\n4,east,12,2\n');
  temp.writeFile('blocks/clean.sql', 'select *, fare + tip as total\nfrom trips\nwhere fare > 0\n');
  temp.writeFile('blocks/by_zone.sql', 'select zone, sum(total) as total, count(*) as trips\nfrom clean\ngroup by all\n');
  temp.writeFile('blocks/broken.sql', '-- reads a column trips does not have\nselect trip_id, pickup_zone\nfrom trips\n');
  temp.writeFile(
    'pipelines/trips/pipeline.yaml',
    [
      'blocks:',
      '  - { id: trips, type: source, kind: local_file, config: { path: data/trips.csv } }',
      '  - id: clean',
      '    type: transform',
      '    kind: sql',
      '    file: blocks/clean.sql',
      '    upstream: [trips]',
      '    checks:',
      '      # fares are never negative',
      '      - range: { column: fare, min: 0 }',
      '  - { id: by_zone, type: transform, kind: sql, file: blocks/by_zone.sql, upstream: [clean] }',
      '  - { id: to_files, type: export, kind: local_file, upstream: [by_zone], config: { path: output/zones, partition_by: [zone] } }',
      '  - { id: broken, type: transform, kind: sql, file: blocks/broken.sql, upstream: [trips] }',
      '',
    ].join('\n'),
  );
  app = await openApp(temp.dir, { viewport: { width: 1440, height: 900 } });
  page = app.page;
});

after(() => closeSpecApp(app, temp));

test('before any run, hovering a block shows its columns and a SQL block reading a missing column is flagged with its line', async () => {
  await node('clean').hover();
  const columns = page.getByRole('tooltip', { name: 'Columns of clean' });
  await columns.getByText('columns before running').waitFor();
  assert.match(await columns.innerText(), /trip_id\s+BIGINT[\s\S]*zone\s+VARCHAR[\s\S]*total\s+DOUBLE/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'design-1-hover-columns.png') });
  const problem = node('broken').getByRole('note', { name: 'Problem in broken' });
  assert.match(await problem.innerText(), /⚠ line 2: .*pickup_zone/);
});

test('selecting a column in the preview marks the blocks it comes from and the blocks that use it', async () => {
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await node('to_files').getByText('succeeded').waitFor({ timeout: 60_000 });
  await node('clean').click();
  await page.getByRole('tab', { name: 'Output', exact: true }).click();
  await page.getByRole('grid', { name: 'Preview of clean' }).waitFor();
  await page.getByLabel("Trace a column's lineage").selectOption('total');
  assert.equal(await node('trips').getByLabel('Lineage of trips').innerText(), 'source: fare, tip');
  assert.equal(await node('by_zone').getByLabel('Lineage of by_zone').innerText(), 'used by: total');
  assert.equal(await node('to_files').getByLabel('Lineage of to_files').innerText(), 'used by: total');
  assert.equal(await node('broken').getByLabel('Lineage of broken').count(), 0);
  assert.match(
    await page.getByRole('status', { name: 'Column lineage' }).innerText(),
    /total ← trips\.fare, trips\.tip · used by by_zone, to_files/,
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'design-2-lineage.png') });
  await page.getByLabel("Trace a column's lineage").selectOption('');
});

test('Preview export shows the files an export would write, per partition, and writes nothing', async () => {
  // The full canvas, so no panel covers the export's node.
  await page.getByRole('button', { name: 'Close block details' }).click();
  await node('to_files').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Preview export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Preview export to_files' });
  const partitions = dialog.getByLabel('Rows per partition');
  await partitions.waitFor();
  assert.match(await partitions.innerText(), /zone=east\s+1[\s\S]*zone=north\s+1[\s\S]*zone=south\s+1/);
  assert.match(await dialog.innerText(), /Destination\s+output\/zones[\s\S]*Partitions\s+3/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'design-3-preview-export.png') });
  await dialog.getByRole('button', { name: 'Close' }).click();
});

test('the config tab offers checks per column and adds one to pipeline.yaml, keeping the others and their comments', async () => {
  await node('clean').click();
  await page.getByRole('tab', { name: 'Config', exact: true }).click();
  const checks = page.getByRole('region', { name: 'Checks by column of clean' });
  await checks.getByLabel('Check for zone').selectOption('accepted_values');
  await checks.getByLabel('Accepted values of zone').fill('north, south, east');
  await checks.getByRole('button', { name: 'Add check on zone' }).click();
  await waitUntil(() => pipelineFile().includes('accepted_values'), { what: 'the check in pipeline.yaml' });
  assert.match(
    pipelineFile(),
    /# fares are never negative\n {6}- range: \{ column: fare, min: 0 \}\n {6}- accepted_values: \{column: zone, values: \[north, south, east\]\}\n/,
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'design-4-checks-by-column.png') });
});

test("an export's config form names the columns its partition_by may use, known before any run", async () => {
  await page.getByRole('button', { name: 'Close block details' }).click();
  await node('to_files').click();
  await page.getByRole('tab', { name: 'Config', exact: true }).click();
  const form = page.getByRole('form', { name: 'Config of to_files' });
  await form.getByText('columns: zone, total, trips').waitFor();
});
