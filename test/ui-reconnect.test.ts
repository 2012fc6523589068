import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocketRoute } from 'playwright-core';
import { createTempProject } from './helpers/temp-project.ts';
import { ensureRendererBuilt, launchChromium, startServe } from './helpers/browser.ts';
import { serveOnly } from './helpers/app.ts';
import { listenForEvent } from './helpers/serve-client.ts';

test(
  'a dropped event stream reconnects and the canvas resyncs with edits it missed',
  { skip: serveOnly('the WebSocket event stream') },
  async () => {
    ensureRendererBuilt();
    const temp = createTempProject();
    temp.writeFile('blocks/first.sql', 'select 1 as n\n');
    temp.writeFile('blocks/second.sql', 'select 2 as n\n');
    const first = { id: 'first', type: 'source', kind: 'sql', file: 'blocks/first.sql' };
    temp.writePipeline('demo', { blocks: [first] });
    const serve = await startServe(temp.dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const routes: WebSocketRoute[] = [];
      let releaseReconnect: () => void = () => undefined;
      const reconnectAllowed = new Promise<void>((resolve) => (releaseReconnect = resolve));
      await page.routeWebSocket(/\/api\/events$/, async (route) => {
        // The first connection goes through; a reconnect waits until the test has edited the file.
        if (routes.length > 0) await reconnectAllowed;
        routes.push(route);
        route.connectToServer();
      });
      await page.goto(serve.url);
      await page.getByRole('button', { name: 'first', exact: true }).waitFor();
      await page.waitForFunction(() => document.documentElement.dataset.events === 'connected');

      await routes[0]?.close(); // the page side drops; the server forgets that socket
      await page.waitForFunction(() => document.documentElement.dataset.events === 'disconnected');
      // A listener of our own hears the watcher's change event, which the disconnected page misses.
      const changed = await listenForEvent(serve.url, 'pipelines.changed', (change) => change.pipelineId === 'demo');
      temp.writePipeline('demo', { blocks: [first, { id: 'second', type: 'source', kind: 'sql', file: 'blocks/second.sql' }] });
      await changed.received;
      assert.equal(await page.getByRole('button', { name: 'second', exact: true }).count(), 0, 'the edit was missed while disconnected');

      releaseReconnect();
      await page.getByRole('button', { name: 'second', exact: true }).waitFor({ timeout: 15_000 });
      assert.equal(routes.length, 2, 'the page reconnected once');
    } finally {
      await browser.close();
      await serve.stop();
      temp.cleanup();
    }
  },
);
