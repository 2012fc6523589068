-- Runs in Postgres over the table the export loaded (ny_taxi.yellow_cab_data).
select
  tpep_pickup_date as pickup_date,
  count(*) as trips,
  round(sum(total_amount)::numeric, 2) as revenue
from export_yellow_taxi_postgres
group by tpep_pickup_date
