-- Runs in BigQuery over the fact table.
select
  pickup_date,
  pickup_zone,
  count(*) as trips,
  round(sum(total_amount), 2) as revenue
from fact_trips
group by pickup_date, pickup_zone
