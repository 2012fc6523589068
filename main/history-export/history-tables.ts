/** One column of an exported history table: its Postgres type and its DuckDB (Parquet) type. */
export interface HistoryColumn {
  name: string;
  pgType: string;
  duckType: string;
}

/** One table the history export writes, and how its rows are read from the run store incrementally. */
export interface HistoryTable {
  name: 'runs' | 'block_runs' | 'logs';
  columns: HistoryColumn[];
  /** Columns identifying a row (with `project`): re-exporting a row replaces it. */
  key: string[];
  /** The column holding the watermark: a row is exported once its mark is above the destination's. */
  mark: string;
  /** SELECT over the run store, in `columns` order minus `project`, for marks in (@after, @upto], ordered by mark. */
  select: string;
  /** The highest mark the run store holds now. */
  upto: string;
}

const text = (name: string): HistoryColumn => ({ name, pgType: 'text', duckType: 'VARCHAR' });
const bigint = (name: string): HistoryColumn => ({ name, pgType: 'bigint', duckType: 'BIGINT' });
const time = (name: string): HistoryColumn => ({ name, pgType: 'timestamptz', duckType: 'TIMESTAMPTZ' });
const json = (name: string): HistoryColumn => ({ name, pgType: 'jsonb', duckType: 'VARCHAR' });

const METRIC = (name: string) =>
  `(SELECT value FROM metrics m WHERE m.run_id = b.run_id AND m.block_id = b.block_id AND m.name = '${name}')`;

/** runs, block_runs and logs, in the order they are exported. */
export const HISTORY_TABLES: readonly HistoryTable[] = [
  {
    name: 'runs',
    columns: [
      text('project'),
      text('run_id'),
      text('pipeline_id'),
      text('status'),
      text('trigger_kind'),
      text('trigger_by'),
      json('scope'),
      json('variables'),
      text('pipeline_hash'),
      text('code_hash'),
      time('started_at'),
      time('finished_at'),
      bigint('duration_ms'),
      text('error_message'),
      json('error'),
      text('host'),
      text('os_user'),
      bigint('finish_seq'),
    ],
    key: ['project', 'run_id'],
    mark: 'finish_seq',
    select: `SELECT id, pipeline_id, status, trigger_kind, trigger_by, scope_json, variables_json, pipeline_hash, code_hash,
        started_at, finished_at, duration_ms, json_extract(error_json, '$.message'), error_json, owner_host, os_user, finish_seq
      FROM runs WHERE finish_seq > @after AND finish_seq <= @upto ORDER BY finish_seq`,
    upto: `SELECT coalesce(max(finish_seq), 0) FROM runs`,
  },
  {
    name: 'block_runs',
    columns: [
      text('project'),
      text('run_id'),
      text('block_id'),
      bigint('position'),
      text('status'),
      bigint('attempts'),
      time('started_at'),
      time('finished_at'),
      bigint('duration_ms'),
      bigint('rows_in'),
      bigint('rows_out'),
      bigint('bytes'),
      text('error_message'),
      text('skip_reason'),
      json('tests'),
      bigint('run_finish_seq'),
    ],
    key: ['project', 'run_id', 'block_id'],
    mark: 'run_finish_seq',
    select: `SELECT b.run_id, b.block_id, b.position, b.status, b.attempts, b.started_at, b.finished_at, b.duration_ms,
        ${METRIC('rows_in')}, ${METRIC('rows_out')}, ${METRIC('bytes')}, json_extract(b.error_json, '$.message'), b.skip_reason,
        b.tests_json, r.finish_seq
      FROM block_runs b JOIN runs r ON r.id = b.run_id
      WHERE r.finish_seq > @after AND r.finish_seq <= @upto ORDER BY r.finish_seq, b.position`,
    upto: `SELECT coalesce(max(finish_seq), 0) FROM runs`,
  },
  {
    name: 'logs',
    columns: [text('project'), bigint('log_id'), text('run_id'), text('block_id'), text('level'), text('message'), time('at')],
    key: ['project', 'log_id'],
    mark: 'log_id',
    select: `SELECT id, run_id, block_id, level, message, at FROM logs WHERE id > @after AND id <= @upto ORDER BY id`,
    upto: `SELECT coalesce(max(id), 0) FROM logs`,
  },
];

/** Columns holding times: the run store keeps milliseconds since the epoch, the export writes timestamps. */
export function isTimeColumn(column: HistoryColumn): boolean {
  return column.pgType === 'timestamptz';
}
