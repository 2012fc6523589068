import { launchElectron } from '../electron/launch.ts';

/** `pipewright start` (`npm start`): opens the desktop app, or says why it cannot and what works instead. */
export async function startCommand(argv: string[]): Promise<number> {
  const result = await launchElectron(argv);
  if (result.launched) return (await result.exited) ?? 0;
  process.stderr.write(
    `The desktop app cannot start here: ${result.reason}\n` +
      'Pipelines run headless with the CLI, for example:\n' +
      '  npm run -s pipewright -- run yellow_taxi_etl --project examples/nyc-taxi\n',
  );
  return 1;
}
