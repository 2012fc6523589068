import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** The real header of green_tripdata_2020-10.csv (20 columns). */
export const GREEN_HEADER =
  'VendorID,lpep_pickup_datetime,lpep_dropoff_datetime,store_and_fwd_flag,RatecodeID,PULocationID,DOLocationID,' +
  'passenger_count,trip_distance,fare_amount,extra,mta_tax,tip_amount,tolls_amount,ehail_fee,improvement_surcharge,' +
  'total_amount,payment_type,trip_type,congestion_surcharge';

/** Counts computed while writing, so a test can check the homework's figures against the truth of its data. */
export interface GreenCsvStats {
  rows: number;
  /** Rows with passenger_count > 0 and trip_distance > 0 (the homework's filter). */
  keptRows: number;
  /** Kept rows per pickup date, `YYYY-MM-DD` → count. */
  keptRowsByDate: Record<string, number>;
}

const DAY_MS = 86_400_000;
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Writes a green-taxi-shaped CSV.gz for one month with the real files' quirks: a ~35% tail of street-hail-app trips
 * with no vendor, passenger count, rate code, flag, payment or trip type; ~5% zero passengers; ~4% zero distance;
 * a few pickups outside the month; an always-empty ehail_fee. Deterministic for a seed.
 */
export async function writeGreenTaxiCsv(
  file: string,
  opts: { year: number; month: number; rows: number; seed?: number },
): Promise<GreenCsvStats> {
  const stats: GreenCsvStats = { rows: 0, keptRows: 0, keptRowsByDate: {} };
  const random = mulberry32(opts.seed ?? opts.month);
  await pipeline(Readable.from(lines(opts, random, stats)), createGzip({ level: 4 }), createWriteStream(file));
  return stats;
}

function* lines(opts: { year: number; month: number; rows: number }, random: () => number, stats: GreenCsvStats): Generator<string> {
  const monthStart = Date.UTC(opts.year, opts.month - 1, 1);
  const days = new Date(Date.UTC(opts.year, opts.month, 0)).getUTCDate();
  const tailStart = opts.rows - Math.round(opts.rows * 0.35);
  let chunk = `${GREEN_HEADER}\n`;
  for (let i = 0; i < opts.rows; i++) {
    const isStray = random() < 0.0005;
    const day = isStray ? monthStart - (1 + Math.floor(random() * 40)) * DAY_MS : monthStart + Math.floor(random() * days) * DAY_MS;
    const pickup = day + Math.floor((random() * DAY_MS) / 1000) * 1000;
    const dropoff = pickup + (60 + Math.floor(random() * 2400)) * 1000;
    const isTail = i >= tailStart;
    const passengers = isTail ? undefined : random() < 0.05 ? 0 : 1 + Math.floor(random() * random() * 6);
    const distance = random() < 0.04 ? 0 : Math.round(-Math.log(1 - random()) * 300) / 100;
    stats.rows++;
    if (passengers !== undefined && passengers > 0 && distance > 0) {
      stats.keptRows++;
      const date = new Date(pickup).toISOString().slice(0, 10);
      stats.keptRowsByDate[date] = (stats.keptRowsByDate[date] ?? 0) + 1;
    }
    chunk += row(pickup, dropoff, passengers, distance, random);
    if (chunk.length >= 1 << 16) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

function row(pickup: number, dropoff: number, passengers: number | undefined, distance: number, random: () => number): string {
  const fare = (2.5 + distance * 2.5).toFixed(2);
  const total = (Number(fare) + 1.3).toFixed(2);
  const location = () => 1 + Math.floor(random() * 265);
  if (passengers === undefined) {
    return `,${stamp(pickup)},${stamp(dropoff)},,,${location()},${location()},,${distance},${fare},0.0,0.5,0.0,0.0,,0.3,${total},,,0.0\n`;
  }
  const vendor = random() < 0.2 ? 1 : 2;
  const ratecode = random() < 0.95 ? 1 : 5;
  const payment = random() < 0.6 ? 1 : 2;
  const tripType = ratecode === 5 ? 2 : 1;
  return `${vendor},${stamp(pickup)},${stamp(dropoff)},N,${ratecode},${location()},${location()},${passengers},${distance},${fare},0.5,0.5,0.0,0.0,,0.3,${total},${payment},${tripType},0.0\n`;
}

function stamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** A small, seedable PRNG (mulberry32): same seed, same file. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
