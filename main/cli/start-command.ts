import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { buildApp, launchElectron } from '../electron/launch.ts';
import { chooseProjectDir } from '../electron/desktop-app.ts';
import { serveCommand } from './serve-command.ts';
import { prepareBrowserLaunch, type BrowserLaunch } from './browser-launch.ts';

const appRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `pipewright start` (`npm start`): opens the desktop app on the project (--project, the folder it runs in, or the
 * nyc-taxi example). Where Electron cannot start, it says why and serves the same UI to the browser instead.
 */
export async function startCommand(argv: string[]): Promise<number> {
  const result = await launchElectron(argv);
  if (result.launched) return (await result.exited) ?? 0;
  process.stderr.write(
    `The desktop app cannot start here: ${result.reason}\nServing the same UI to your browser instead (pipewright serve).\n`,
  );
  const { values } = parseArgs({ args: argv, options: { project: { type: 'string' }, port: { type: 'string' } }, strict: false });
  const project = await chooseProjectDir({
    args: argv,
    env: process.env,
    cwd: process.cwd(),
    appRoot,
    isPackaged: false,
    userDataDir: path.join(os.homedir(), '.local', 'share', 'pipewright'),
  });
  if (!existsSync(path.join(appRoot, 'out', 'renderer', 'index.html'))) {
    const failure = await buildApp(appRoot, process.env);
    if (failure) {
      process.stderr.write(`pipewright: ${failure}\n`);
      return 1;
    }
  }
  const port = typeof values.port === 'string' ? values.port : '6789';
  const launches: BrowserLaunch[] = [];
  try {
    return await serveCommand(['--project', project, '--port', port], {
      onServing: (url) => {
        openInBrowser(url, launches).catch((error: unknown) =>
          process.stderr.write(`cannot open a browser (${String(error)}): open the URL above\n`),
        );
      },
    });
  } finally {
    await Promise.all(launches.map((l) => l.cleanup()));
  }
}

/** Asks the desktop to open `url` in the default browser; where there is no desktop, the printed URL is the way in. */
async function openInBrowser(url: string, launches: BrowserLaunch[]): Promise<void> {
  if (process.platform === 'linux' && !process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY']) return;
  const launch = await prepareBrowserLaunch(url);
  launches.push(launch);
  const child = spawn(launch.command, launch.args, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined); // no opener installed: the URL printed above still works
  child.unref();
}
