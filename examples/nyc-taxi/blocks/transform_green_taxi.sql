-- The homework's filter: trips with passengers and a distance (a missing count is dropped too,
-- as pandas' `> 0` drops NA), plus the pickup date. Columns leave in snake_case (VendorID → vendor_id).
select
  *,
  cast(lpep_pickup_datetime as date) as lpep_pickup_date
from load_green_taxi
where passenger_count > 0
  and trip_distance > 0
