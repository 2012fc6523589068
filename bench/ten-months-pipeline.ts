// The ten-month pipeline of the ten-months bench, made from the example's yellow_taxi_etl the way green_taxi_etl
// loads several months: a dynamic source lists one (month, url) row per month, load_yellow_taxi fans out one child
// per row (`{{ item.url }}`) and `reduce: true` unions them; clean, its checks and the Parquet and Postgres exports
// are the example's, unchanged. The cloud exports are left out (goal 4 is Postgres and Parquet).

/** One row per month: the dynamic block whose rows fan out load_yellow_taxi. */
export const MONTHS_SQL = `-- One row (month, url) per month of {{ months }}: each fans out load_yellow_taxi.
select
  month,
  printf('%s/yellow_tripdata_%d-%02d_{{ rows_per_month }}.csv.gz', rtrim('{{ base_url }}', '/'), {{ year }}, month) as url
from (select trim(unnest(string_split('{{ months }}', ',')))::INTEGER as month)
order by month
`;

type Block = Record<string, unknown> & { id: string; kind?: string; config?: Record<string, unknown> };

/** yellow_taxi_etl's parsed pipeline.yaml → the ten-month pipeline (a new object; the input is not changed). */
export function tenMonthsPipeline(
  etl: Record<string, unknown>,
  opts: { year: number; months: number[]; rowsPerMonth: number },
): Record<string, unknown> {
  const blocks = (etl.blocks as Block[]).filter((b) => !['gcs', 'bigquery'].includes(String(b.kind)));
  const months: Block = {
    id: 'yellow_taxi_months',
    type: 'source',
    kind: 'sql',
    file: 'blocks/yellow_taxi_months.sql',
    dynamic: true,
    description: 'One row (month, url) per month; each row fans out load_yellow_taxi.',
  };
  return {
    name: `Yellow taxi ETL, ${opts.months.length} months`,
    description: 'yellow_taxi_etl over several months: one load child per month, reduced into one table, cleaned and exported once.',
    variables: {
      base_url: { default: 'http://127.0.0.1/ten-months', description: 'Where the yellow_tripdata_YYYY-MM files are' },
      year: { default: opts.year },
      months: { default: opts.months.join(','), description: 'Comma-separated month numbers' },
      rows_per_month: { default: opts.rowsPerMonth, description: 'The generated files carry their row count in their names' },
    },
    blocks: [
      months,
      ...blocks.map((b) =>
        b.id === 'load_yellow_taxi'
          ? {
              ...b,
              upstream: [months.id],
              reduce: true,
              config: { ...b.config, url: '{{ item.url }}' },
              description: 'One child per month.',
            }
          : b,
      ),
    ],
  };
}

/** The backfill's month list: the one month of the run's interval. */
export const INTERVAL_MONTH_SQL = `-- The run's month (a backfill --every month sets interval_start), as one (month, url) row.
select
  month(DATE '{{ interval_start }}') as month,
  printf('%s/yellow_tripdata_%d-%02d_{{ rows_per_month }}.csv.gz', rtrim('{{ base_url }}', '/'),
    year(DATE '{{ interval_start }}'), month(DATE '{{ interval_start }}')) as url
`;

/**
 * The same months as a backfill would load them: one run per month, each appending to the Postgres table and adding
 * its files to the Parquet folder (`mode: append` on both). The URL is built in SQL from interval_start, as config
 * templates have no date formatting.
 */
export function backfillPipeline(etl: Record<string, unknown>, opts: { rowsPerMonth: number }): Record<string, unknown> {
  const dynamic = tenMonthsPipeline(etl, { year: 0, months: [], rowsPerMonth: opts.rowsPerMonth });
  const blocks = (dynamic.blocks as Block[]).map((b) => {
    if (b.id === 'yellow_taxi_months') return { ...b, file: 'blocks/yellow_taxi_interval_month.sql', description: "The run's month." };
    if (b.kind === 'postgres') return { ...b, config: { ...b.config, mode: 'append' } };
    if (b.kind === 'local_file') return { ...b, config: { ...b.config, path: 'output/yellow_taxi_backfill', mode: 'append' } };
    return b;
  });
  const { year: _year, months: _months, ...variables } = dynamic.variables as Record<string, unknown>;
  return { ...dynamic, name: 'Yellow taxi ETL, one month per backfill run', variables, blocks };
}
