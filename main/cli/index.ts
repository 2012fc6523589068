import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PipewrightError, formatError, toErrorShape } from '../model/errors.ts';
import { USAGE, UsageError, commandUsage } from './usage.ts';
import { redactError } from '../model/redact-url.ts';

type Command = (argv: string[]) => Promise<number>;

/**
 * Each command is loaded when it is asked for: `pipewright --help` must not load DuckDB, SQLite, Postgres and the
 * Google clients, and in the built bundle each command is its own chunk.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run-command.ts')).runCommand,
  history: async () => (await import('./history-command.ts')).historyCommand,
  backfill: async () => (await import('./backfill-command.ts')).backfillCommand,
  init: async () => initCommand,
  start: async () => (await import('./start-command.ts')).startCommand,
  serve: async () => (await import('./serve-command.ts')).serveCommand,
  connections: async () => (await import('./connections-command.ts')).connectionsCommand,
  sandbox: async () => (await import('./sandbox-command.ts')).sandboxCommand,
  schedule: async () => (await import('./schedule-command.ts')).scheduleCommand,
  check: async () => (await import('./check-command.ts')).checkCommand,
  triggers: async () => (await import('./triggers-command.ts')).triggersCommand,
  'export-history': async () => (await import('./export-history-command.ts')).exportHistoryCommand,
  prune: async () => (await import('./prune-command.ts')).pruneCommand,
  import: async () => (await import('./import-command.ts')).importCommand,
};

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
      default: {
        const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
        if (!load) throw new UsageError(`unknown command '${command}'`);
        return await (
          await load()
        )(rest);
      }
    }
  } catch (error) {
    return reportError(error, help ? command : undefined);
  }
}

async function initCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { example: { type: 'string' } } });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UsageError('init takes one folder');
  if (values.example !== undefined && values.example !== 'nyc-taxi')
    throw new UsageError(`unknown example '${values.example}'; available: nyc-taxi`);
  const { initProject, STARTER_PIPELINE_ID } = await import('../project/init-project.ts');
  await initProject(dir, values.example ? { example: 'nyc-taxi' } : {});
  // Both have a pipeline that runs as created (the starter offline); then the app, to build on it.
  const pipeline = values.example ? 'yellow_taxi_etl' : STARTER_PIPELINE_ID;
  process.stdout.write(
    `created project in ${dir}${values.example ? ` from the ${values.example} example` : ''}\n` +
      `next: pipewright run ${pipeline} --project ${dir}${values.example ? '' : '   (runs offline)'}\n` +
      `      pipewright start --project ${dir}   (the app; it serves the browser UI where no display is)\n`,
  );
  return 0;
}

/** A refused command line is one line: what was wrong, and where the options are (not the whole usage). */
function reportError(error: unknown, command: string | undefined): number {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    // Node's parseArgs adds advice on '--' after its first sentence: the first sentence says what was refused. Our
    // own usage errors are written as one line already, and their second sentence says what to do.
    const firstLine = error.message.split('\n')[0] ?? '';
    const message = error instanceof UsageError ? firstLine : (firstLine.split(/\.\s/)[0]?.replace(/\.$/, '') ?? '');
    process.stderr.write(`pipewright: ${message} (see ${command ? `pipewright ${command} --help` : 'pipewright --help'})\n`);
    return 2;
  }
  if (error instanceof PipewrightError && error.kind === 'user') {
    process.stderr.write(`pipewright: ${formatError(redactError(toErrorShape(error)))}\n`);
    return 2;
  }
  const shape = redactError(toErrorShape(error)); // credentials in URLs stay off the terminal and its logs
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
