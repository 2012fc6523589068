import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initProject } from '../main/project/init-project.ts';
import { readRecentProjects } from '../main/runtime/recent-projects.ts';
import { serveProjects } from '../main/serve/serve-projects.ts';
import { rawRequest } from './helpers/serve-client.ts';
import { waitUntil } from './helpers/wait-until.ts';

/** Issue 14, item 15: `serve` switches projects in-process on one address and token; --expose refuses. */

const RENDERER_DIR = fileURLToPath(new URL('../renderer', import.meta.url)); // any folder: these calls never read the UI

interface Served {
  url: URL;
  token: string;
  project: string;
  isFirst: boolean;
}

/** Runs serveProjects on `dir` until the returned `stop`; `served` lists each project it served, in order. */
function startServing(dir: string, opts: { isExposed?: boolean; userDataDir: string }) {
  const served: Served[] = [];
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const done = serveProjects(
    {
      dir,
      rendererDir: RENDERER_DIR,
      host: '127.0.0.1',
      port: 0,
      isExposed: opts.isExposed ?? false,
      userDataDir: opts.userDataDir,
      scheduler: { onActivity: () => undefined },
      onServing: (server, open, isFirst) =>
        served.push({ url: new URL(server.url), token: server.token, project: open.project.settings.name, isFirst }),
    },
    stopped,
  );
  return { served, done, stop: async () => (stop(), await done) };
}

async function call(
  served: Served,
  method: string,
  params: unknown = {},
): Promise<{ ok: boolean; result?: Record<string, unknown>; error?: { message: string; place?: { path?: string } } }> {
  const origin = served.url.origin;
  const res = await rawRequest(`${origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, authorization: `Bearer ${served.token}` },
    body: JSON.stringify({ method, params }),
  });
  return JSON.parse(res.body) as never;
}

function tempRoot(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'pw-serve-projects-'));
}

test('serve switches to another project on the same address and token, closing the first and remembering both', async () => {
  const root = tempRoot();
  const [shop, other, userData] = [path.join(root, 'shop'), path.join(root, 'other'), path.join(root, 'user-data')];
  await initProject(shop, {});
  await initProject(other, {});
  const serving = startServing(shop, { userDataDir: userData });
  try {
    await waitUntil(() => serving.served.length === 1, { what: 'shop is served' });
    const first = serving.served[0]!;
    assert.deepEqual((await call(first, 'projects.list')).result, { current: shop, recent: [], canSwitch: true });
    assert.ok(existsSync(path.join(shop, '.pipewright', 'server.json')), 'the CLI finds shop held');

    const refused = await call(first, 'projects.open', { dir: root });
    assert.equal(refused.ok, false);
    assert.match(refused.error?.message ?? '', /has no pipewright\.yaml/);
    assert.equal(refused.error?.place?.path, 'dir', 'the picker shows it at the folder field');

    assert.deepEqual((await call(first, 'projects.open', { dir: other })).result, { dir: other });
    await waitUntil(() => serving.served.length === 2, { what: 'other is served' });
    const second = serving.served[1]!;
    assert.equal(second.project, 'other');
    assert.equal(second.isFirst, false);
    assert.equal(second.url.origin, first.url.origin, 'the same address');
    assert.equal(second.token, first.token, 'the same token: the page keeps its cookie');
    assert.equal(existsSync(path.join(shop, '.pipewright', 'server.json')), false, 'shop was closed');
    assert.deepEqual((await call(second, 'projects.list')).result, { current: other, recent: [shop], canSwitch: true });
    assert.deepEqual(readRecentProjects(userData), [other, shop]);
  } finally {
    await serving.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a project that fails to open is reported and the previous one opens again', async () => {
  const root = tempRoot();
  const [shop, broken] = [path.join(root, 'shop'), path.join(root, 'broken')];
  await initProject(shop, {});
  await initProject(broken, {});
  writeFileSync(path.join(broken, 'pipewright.yaml'), 'name: [unclosed\n');
  const serving = startServing(shop, { userDataDir: path.join(root, 'user-data') });
  try {
    await waitUntil(() => serving.served.length === 1, { what: 'shop is served' });
    assert.equal((await call(serving.served[0]!, 'projects.open', { dir: broken })).ok, true);
    await waitUntil(() => serving.served.length === 2, { what: 'a project is served again' });
    const again = serving.served[1]!;
    assert.equal(again.project, 'shop');
    const list = (await call(again, 'projects.list')).result;
    assert.equal(list?.['current'], shop);
    assert.match(
      String(list?.['switchError']),
      new RegExp(`${broken.replace(/[/\\.]/g, '\\$&')} could not be opened: .*pipewright\\.yaml`),
    );
  } finally {
    await serving.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('serve --expose refuses to open or create projects, and says why', async () => {
  const root = tempRoot();
  const [shop, other, fresh] = [path.join(root, 'shop'), path.join(root, 'other'), path.join(root, 'fresh')];
  await initProject(shop, {});
  await initProject(other, {});
  const serving = startServing(shop, { isExposed: true, userDataDir: path.join(root, 'user-data') });
  try {
    await waitUntil(() => serving.served.length === 1, { what: 'shop is served' });
    const served = serving.served[0]!;
    const list = (await call(served, 'projects.list')).result;
    assert.equal(list?.['canSwitch'], false);
    assert.match(String(list?.['why']), /--expose serves only the project it was started on/);
    for (const [method, dir] of [
      ['projects.open', other],
      ['projects.create', fresh],
    ] as const) {
      const refused = await call(served, method, { dir });
      assert.equal(refused.ok, false, method);
      assert.match(refused.error?.message ?? '', /--expose serves only the project/);
    }
    assert.equal(existsSync(fresh), false, 'nothing was created');
    assert.equal(
      readFileSync(path.join(shop, '.pipewright', 'server.json'), 'utf8').includes(served.url.origin),
      true,
      'shop is still served',
    );
  } finally {
    await serving.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
