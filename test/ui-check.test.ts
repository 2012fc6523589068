/** The Check button: the pipeline's per-block checklist in the app, from pipelines.check against the emulators. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';

let temp: TempProject;
let app: AppUnderTest;
let page: Page;
let gcs: GcsFixture;

before(async () => {
  gcs = await startGcsFixture();
  temp = createTempProject({ default_connections: { gcs: 'lake' } });
  temp.writeFile(
    'connections.yaml',
    stringify({ lake: { type: 'gcs', endpoint: gcs.emulator.url, project_id: 'test-project', credentials: 'none' } }),
  );
  temp.writeFile('blocks/trips.sql', 'select 1 as id\n');
  temp.writePipeline('to_lake', {
    blocks: [
      { id: 'trips', type: 'source', kind: 'sql', file: 'blocks/trips.sql' },
      {
        id: 'export_trips',
        type: 'export',
        kind: 'gcs',
        upstream: ['trips'],
        config: { bucket: 'taken-name', create_bucket: true, path: 'trips.parquet' },
      },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
  await page.getByRole('button', { name: 'to_lake', exact: true }).click();
  await page.getByRole('button', { name: 'export_trips', exact: true }).waitFor();
});

after(async () => {
  await app?.close();
  temp?.cleanup();
  await gcs?.close();
});

test("Check lists each block's checks, and names the bucket another project owns", async () => {
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  const result = page.getByRole('status', { name: 'Check result' });
  await result.getByText('Ready to run').waitFor();
  assert.match(
    await page.getByRole('list', { name: 'Checks of export_trips' }).innerText(),
    /bucket: gs:\/\/taken-name does not exist yet; the run creates it/,
  );
  await fetch(`${gcs.emulator.url}/_emulator/modes`, { method: 'POST', body: JSON.stringify({ foreignBuckets: ['taken-name'] }) });
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await result.getByText('Fix before running').waitFor();
  assert.match(await page.getByRole('list', { name: 'Checks of export_trips' }).innerText(), /the name may belong to another project/);
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: path.join('test-results', 'check-1-foreign-bucket.png') });
});
