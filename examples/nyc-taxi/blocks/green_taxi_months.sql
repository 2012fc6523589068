-- One row per month to load: the dynamic block whose rows fan out load_green_taxi
-- (its config reads item.month and item.url).
select
  month,
  printf('%s/green_tripdata_%d-%02d.csv.gz', rtrim('{{ base_url }}', '/'), {{ year }}, month) as url
from (
  select trim(unnest(string_split('{{ months }}', ',')))::INTEGER as month
)
order by month
