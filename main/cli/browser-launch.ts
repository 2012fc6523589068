import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** How to ask the desktop to open a page, and how to remove what that needed. */
export interface BrowserLaunch {
  command: string;
  args: string[];
  cleanup(): Promise<void>;
}

/**
 * The opener command for `url` that keeps its token off every command line (`ps` shows those to all accounts): the
 * opener gets a page in a fresh 0700 temp folder, readable by this account only (0600), that sends the browser on
 * to `url`. `cleanup` removes it (call it when serve stops: the browser has long loaded it by then).
 */
export async function prepareBrowserLaunch(url: string, platform: NodeJS.Platform = process.platform): Promise<BrowserLaunch> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pipewright-open-'));
  const page = path.join(dir, 'open.html');
  const target = JSON.stringify(url).replaceAll('<', '\\u003c');
  const html = `<!doctype html><meta charset="utf-8"><title>Pipewright</title>
<script>location.replace(${target})</script>
<p>Opening Pipewright… If nothing happens, paste the URL printed in the terminal.</p>
`;
  await writeFile(page, html, { mode: 0o600 });
  const fileUrl = new URL(`file://${page.split(path.sep).join('/')}`).href;
  const [command, args] =
    platform === 'darwin' ? ['open', [page]] : platform === 'win32' ? ['cmd', ['/c', 'start', '""', fileUrl]] : ['xdg-open', [page]];
  return { command, args, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
