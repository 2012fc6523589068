import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PipewrightError, formatError, toErrorShape } from '../errors.ts';
import { initProject } from '../project/init-project.ts';
import { runCommand } from './run-command.ts';
import { historyCommand } from './history-command.ts';
import { backfillCommand } from './backfill-command.ts';
import { startCommand } from './start-command.ts';
import { serveCommand } from './serve-command.ts';
import { connectionsCommand } from './connections-command.ts';
import { sandboxCommand } from './sandbox-command.ts';
import { scheduleCommand } from './schedule-command.ts';
import { triggersCommand } from './triggers-command.ts';
import { exportHistoryCommand } from './export-history-command.ts';
import { pruneCommand } from './prune-command.ts';
import { USAGE, UsageError, commandUsage } from './usage.ts';

/** Runs one CLI command and resolves to the process exit code (0 ok, 1 run failed, 2 usage or project error). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const help = command ? commandUsage(command) : undefined;
  if (help && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'history':
        return await historyCommand(rest);
      case 'backfill':
        return await backfillCommand(rest);
      case 'init':
        return await initCommand(rest);
      case 'start':
        return await startCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'connections':
        return await connectionsCommand(rest);
      case 'sandbox':
        return await sandboxCommand(rest);
      case 'schedule':
        return await scheduleCommand(rest);
      case 'triggers':
        return await triggersCommand(rest);
      case 'export-history':
        return await exportHistoryCommand(rest);
      case 'prune':
        return await pruneCommand(rest);
      case '--version':
      case 'version':
        process.stdout.write('pipewright 0.1.0\n');
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    return reportError(error, help ? command : undefined);
  }
}

async function initCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { example: { type: 'string' } } });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UsageError('init takes one folder');
  if (values.example !== undefined && values.example !== 'nyc-taxi') throw new UsageError(`unknown example '${values.example}'; available: nyc-taxi`);
  await initProject(dir, values.example ? { example: 'nyc-taxi' } : {});
  // An example has pipelines to run; an empty project is built on the canvas first.
  const next = values.example ? `pipewright run yellow_taxi_etl --project ${dir}` : `pipewright serve --project ${dir}   (build a pipeline in the browser; or pipewright start)`;
  process.stdout.write(`created project in ${dir}${values.example ? ` from the ${values.example} example` : ''}\nnext: ${next}\n`);
  return 0;
}

/** A refused command line is one line: what was wrong, and where the options are (not the whole usage). */
function reportError(error: unknown, command: string | undefined): number {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    // Node's parseArgs adds advice on '--' after its first sentence: the first sentence says what was refused.
    const message = (error.message.split('\n')[0] ?? '').split(/\.\s/)[0]?.replace(/\.$/, '') ?? '';
    process.stderr.write(`pipewright: ${message} (see ${command ? `pipewright ${command} --help` : 'pipewright --help'})\n`);
    return 2;
  }
  if (error instanceof PipewrightError && error.kind === 'user') {
    process.stderr.write(`pipewright: ${formatError(toErrorShape(error))}\n`);
    return 2;
  }
  const shape = toErrorShape(error);
  process.stderr.write(`pipewright: ${formatError(shape)}\n${shape.stack ?? ''}\n`);
  return shape.kind === 'internal' ? 1 : 2;
}

/** True when this file is the process entry (not imported by a test). */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false; // an entry path that cannot be resolved is not this file
  }
}

if (isEntry()) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
