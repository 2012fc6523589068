/** Thrown for a bad command line: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: pipewright <command> [options]

Commands:
  init <dir> [--example nyc-taxi]        create a project (empty, or a copy of an example)
  run <pipeline> [options]               run a pipeline headless and record it
      --project <dir>                    project folder (default: the one holding the current folder)
      --var name=value                   override a pipeline variable (repeatable)
      --block <id>                       run only this block, reading its upstream's stored outputs
        --with-upstream                  … together with everything upstream of it
        --downstream                     … together with everything downstream of it
      --resume <run-id>                  run again only the blocks that run did not finish (failed,
                                         cancelled, interrupted), with its variables and dates
      --conn NAME.FIELD=VALUE            override a connection field for this run (repeatable)
      --dry-run                          run nothing: show what each export would do (DDL, rows per
                                         partition, objects, BigQuery job, schema changes); --block <export>
      --json                             print one JSON object with the result on stdout
      --verbose                          print every dynamic child's lines (default: a count, then the
                                         first 20 failed children)
  check <pipeline> [--var name=value]… [--conn NAME.FIELD=VALUE]… [--json]
                                         check every Postgres, GCS and BigQuery block without writing:
                                         credentials, project, bucket, dataset locations, permissions,
                                         target schemas, dry-run bytes (exit 1 when something fails)
  backfill <pipeline> --from <date> --to <date> --every day|week|month
      [--concurrency N] [--dry-run] [--retry-failed <backfill-id>] [--var name=value]… [--json]
                                         one run per interval (end date inclusive), with
                                         execution_date, interval_start and interval_end set
  history [--project <dir>] [--pipeline <id>] [--limit N] [--json]
                                         list recorded runs, newest first
  history <run-id> [--project <dir>] [--json]
                                         show one run: blocks, attempts, errors and its log
                                         (a fanned-out block's children counted by status;
                                         their lines with --logs)
  history <run-id> --children <block> [--failed] [--from <index>] [--limit N] [--json]
                                         a page of that block's children in index order
  history <run-id> --logs <block> [--json]
                                         a block's log lines, with its children's (each[7]: one child's)
  connections list|test <name>|secret set|list|delete <name> [--project <dir>] [--conn NAME.FIELD=VALUE]
                                         list profiles; test reachability, auth and server version
                                         (GCS: buckets, BigQuery: datasets);
                                         store a secret (value read from stdin, encrypted)
  export-history --to parquet <dir> | --to postgres <connection> [--schema S]
      | --to bigquery <connection> [--dataset D] [--project <dir>] [--json]
                                         write runs, block runs and logs not exported yet
                                         (incremental: re-running exports nothing twice)
  prune [--dry-run] [--project <dir>] [--json]
                                         apply the retention in pipewright.yaml (old runs, logs, outputs)
  import mage <mage_project_dir> [--into <dir>] [--force] [--python <interpreter>]
                                         convert a Mage project (pipelines, blocks, io_config.yaml,
                                         triggers) into a new project; writes IMPORT_REPORT.md
  sandbox [--project <dir>]              start the local Postgres and the GCS and BigQuery emulators,
                                         print how to connect, run until Ctrl-C
  start                                  open the desktop app
  serve [--project <dir>] [--port 6789] [--host 127.0.0.1 [--expose]]
                                         serve the UI and API to a browser (prints the URL with its token);
                                         schedule triggers fire while it runs; a host other than loopback
                                         needs --expose
  schedule [--project <dir>]             fire the schedule triggers headless until Ctrl-C, logging each run
  triggers list [--project <dir>] [--json]
                                         show each trigger with its next five fire times (UTC and local)

Exit codes: 0 success, 1 the run failed or was cancelled, 2 usage or project error.`;

/**
 * One command's part of USAGE (`pipewright run --help`): its lines, from its first line to the next command's, under
 * a `Usage:` line; undefined for a command USAGE does not list.
 */
export function commandUsage(command: string): string | undefined {
  const lines = USAGE.split('\n');
  const isCommandLine = (line: string) => /^ {2}[a-z]/.test(line);
  const start = lines.findIndex((line) => isCommandLine(line) && line.trim().split(/\s/)[0] === command);
  if (start < 0) return undefined;
  let end = start + 1;
  // Up to the next command's line: a command listed in several forms (history, history <run-id>) keeps them all.
  const isOtherCommand = (line: string) => isCommandLine(line) && line.trim().split(/\s/)[0] !== command;
  while (end < lines.length && !isOtherCommand(lines[end] ?? '') && (lines[end] ?? '') !== '') end++;
  const [first = '', ...rest] = lines.slice(start, end);
  // The command's own line: its synopsis, then (after a run of spaces) what it does.
  const [synopsis = '', summary] = first.trim().split(/ {2,}/);
  return [`Usage: pipewright ${synopsis}`, ...(summary ? [`  ${summary}`] : []), ...rest].join('\n');
}

/** Parses repeated `--var name=value` flags; values stay strings (templates insert text). */
export function parseVars(pairs: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--var needs name=value, got '${pair}'`);
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}
