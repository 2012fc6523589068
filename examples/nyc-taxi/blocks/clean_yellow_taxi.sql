-- Trips without passengers are dropped; a missing count is dropped too, as the course's
-- pandas filter `passenger_count > 0` does on nullable integers.
select
  *,
  cast(tpep_pickup_datetime as date) as tpep_pickup_date
from load_yellow_taxi
where passenger_count > 0
