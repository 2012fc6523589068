import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createTempProject } from './helpers/temp-project.ts';
import { openApp } from './helpers/app.ts';

const SCREENSHOTS = path.resolve('test-results');

test('a block that fails shows why on its node, in the log and above its details, with the file line and column', async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const temp = createTempProject();
  temp.writeFile('data/trips.csv', 'id,picked_at\n1,2019-01-01 00:46:00\n2,1/1/2019 0:53\n');
  temp.writeFile('blocks/count_trips.sql', 'select count(*) as n from load_trips\n');
  temp.writePipeline('trips', {
    blocks: [
      {
        id: 'load_trips',
        type: 'source',
        kind: 'local_file',
        config: { path: 'data/trips.csv', timestamp_format: '%Y-%m-%d %H:%M:%S', columns: { picked_at: 'TIMESTAMP' } },
      },
      { id: 'count_trips', type: 'transform', kind: 'sql', file: 'blocks/count_trips.sql', upstream: ['load_trips'] },
    ],
  });
  const app = await openApp(temp.dir, { viewport: { width: 1300, height: 800 } });
  try {
    const { page } = app;
    await page.getByRole('button', { name: 'Run pipeline' }).click();
    await page.getByRole('status', { name: 'Run status' }).getByText('Run failed').waitFor({ timeout: 20_000 });
    // load_trips is a view over its file (its one reader is a SQL block): the file is parsed once, by count_trips,
    // which fails naming the source, the file, the line and the column, with the declared format as the likely fix.
    const node = page.getByRole('button', { name: 'count_trips', exact: true });
    assert.match(
      await node.locator('.block-node-error').innerText(),
      /^data\/trips\.csv:3: load_trips \(data\/trips\.csv\), line 3 \(picked_at\)/,
    );

    const log = page.getByRole('list', { name: 'Log lines' });
    const errorLine = log.locator('li').filter({ hasText: 'failed:' });
    await errorLine.waitFor();
    const errorText = await errorLine.innerText();
    assert.match(errorText, /error/);
    assert.match(
      errorText,
      /data\/trips\.csv:3.*could not convert "1\/1\/2019 0:53" to TIMESTAMP; it was read with timestamp_format "%Y-%m-%d %H:%M:%S"; change that/s,
    );

    await node.click();
    const alert = page.getByRole('alert', { name: 'Error of count_trips' });
    assert.match(await alert.innerText(), /Last run failed[\s\S]*load_trips \(data\/trips\.csv\), line 3 \(picked_at\)/);
    await page.getByRole('status', { name: 'No output' }).getByText('No output: the last run of count_trips failed (see above).').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'errors-1-failed-block.png') });
    await page.getByRole('button', { name: 'load_trips', exact: true }).click();
    await page.getByRole('tab', { name: 'Output' }).waitFor();
    assert.equal(await page.getByRole('alert', { name: 'Error of load_trips' }).count(), 0, 'only the block that failed shows an error');
    // Its preview parses the file, and says where it does not fit, not DuckDB's advice about auto-detected types.
    await page.getByText('load_trips is read from its file when previewed, and line 3 (picked_at) does not fit').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'errors-2-source-view.png') });
  } finally {
    await app.close();
    temp.cleanup();
  }
});
