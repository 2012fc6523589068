-- Runs in BigQuery: yellow_trips and taxi_zones are the tables their blocks loaded.
select
  t.vendor_id,
  t.tpep_pickup_datetime as pickup_datetime,
  t.tpep_pickup_date as pickup_date,
  t.pu_location_id,
  z.Borough as pickup_borough,
  z.Zone as pickup_zone,
  t.passenger_count,
  t.trip_distance,
  t.total_amount
from yellow_trips as t
left join taxi_zones as z on z.LocationID = t.pu_location_id
