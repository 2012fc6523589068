import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** The real header of yellow_tripdata_2021-01.csv. */
export const YELLOW_HEADER =
  'VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,RatecodeID,store_and_fwd_flag,' +
  'PULocationID,DOLocationID,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,' +
  'total_amount,congestion_surcharge';

/** Counts computed while writing, so tests can check a pipeline's results against the truth. */
export interface TaxiCsvStats {
  rows: number;
  zeroPassengerRows: number;
  /** Rows with an empty passenger_count (the tail of the real file). */
  missingPassengerRows: number;
  /** Rows with passenger_count > 0. */
  keptRows: number;
  /** Distinct pickup dates among kept rows. */
  keptPickupDates: number;
  /** Kept rows per pickup date, `YYYY-MM-DD` → count. */
  keptRowsByDate: Record<string, number>;
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
// Rope strings much longer than this make V8's GC dominate; 64 KB chunks keep writes large and strings flat.
const CHUNK_CHARS = 1 << 16;

/** The month's days and its strays (as the real files have a few: 2008/2009, the day before, the next month's first), in epoch days. */
function monthDays(year: number, month: number): { first: number; days: number; strays: number[] } {
  const first = Date.UTC(year, month - 1, 1) / DAY_MS;
  const next = Date.UTC(year, month, 1) / DAY_MS;
  const strays = [Date.UTC(2008, 11, 31) / DAY_MS, Date.UTC(2009, 0, 1) / DAY_MS, first - 1, next];
  return { first, days: next - first, strays };
}

/**
 * Writes a yellow-taxi-shaped CSV (gzip when asked or when the path ends in .gz) with the real file's quirks:
 * ~7% zero passengers, a ~2.5% tail with empty VendorID/passenger_count/RatecodeID/store_and_fwd_flag/payment_type,
 * a few pickups outside the month (January 2021 unless `year`/`month` say otherwise), refunds with negative amounts.
 * Deterministic for a seed and month; streams to disk.
 */
export async function writeYellowTaxiCsv(
  path: string,
  opts: { rows: number; seed?: number; gzip?: boolean; year?: number; month?: number },
): Promise<TaxiCsvStats> {
  const stats: TaxiCsvStats = {
    rows: 0,
    zeroPassengerRows: 0,
    missingPassengerRows: 0,
    keptRows: 0,
    keptPickupDates: 0,
    keptRowsByDate: {},
  };
  const month = monthDays(opts.year ?? 2021, opts.month ?? 1);
  const lines = generateLines(opts.rows, mulberry32(opts.seed ?? 1), stats, month);
  const gzip = opts.gzip === true || path.endsWith('.gz');
  // Level 4: twice as fast as the default 6 for ~10% more bytes; zlib runs on the thread pool, beside the generator.
  if (gzip) await pipeline(Readable.from(lines), createGzip({ level: 4 }), createWriteStream(path));
  else await pipeline(Readable.from(lines), createWriteStream(path));
  stats.keptPickupDates = Object.keys(stats.keptRowsByDate).length;
  return stats;
}

/** Yields the CSV in ~1 MB chunks, updating `stats` as rows are made. */
function* generateLines(rows: number, random: () => number, stats: TaxiCsvStats, month: ReturnType<typeof monthDays>): Generator<string> {
  const tailStart = rows - Math.round(rows * 0.025);
  const dayNames = new Map<number, string>();
  const dayName = (day: number) => dayNames.get(day) ?? cacheDay(dayNames, day);
  let chunk = `${YELLOW_HEADER}\n`;
  for (let i = 0; i < rows; i++) {
    const isTail = i >= tailStart;
    const day =
      random() < 0.00005
        ? (month.strays[Math.floor(random() * month.strays.length)] ?? month.first)
        : month.first + Math.floor(random() * month.days);
    const second = Math.floor(random() * 86_400);
    const tripSeconds = 60 + Math.floor(random() * 2_400);
    const pickup = `${dayName(day)} ${clock(second)}`;
    const end = second + tripSeconds;
    const dropoff = `${dayName(day + Math.floor(end / 86_400))} ${clock(end % 86_400)}`;
    const passengers = isTail ? -1 : random() < 0.07 ? 0 : pickPassengers(random());
    countRow(stats, passengers, dayName(day));
    chunk += isTail ? tailRow(pickup, dropoff, random) : tripRow(pickup, dropoff, passengers, random);
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

function countRow(stats: TaxiCsvStats, passengers: number, date: string): void {
  stats.rows++;
  if (passengers < 0) stats.missingPassengerRows++;
  else if (passengers === 0) stats.zeroPassengerRows++;
  else {
    stats.keptRows++;
    stats.keptRowsByDate[date] = (stats.keptRowsByDate[date] ?? 0) + 1;
  }
}

/** A regular trip; ~0.3% are refunds with every amount negative. */
function tripRow(pickup: string, dropoff: string, passengers: number, random: () => number): string {
  const vendor = random() < 0.3 ? '1' : '2';
  const distance = Math.round(-Math.log(1 - random()) * 250);
  const ratecode = random() < 0.97 ? '1' : random() < 0.7 ? '2' : '5';
  const flag = random() < 0.99 ? 'N' : 'Y';
  const isRefund = random() < 0.003;
  const payment = isRefund ? (random() < 0.5 ? 3 : 4) : random() < 0.7 ? 1 : 2;
  const sign = isRefund ? -1 : 1;
  const fare = sign * (250 + Math.round((distance * 2.5) / 50) * 50);
  const extra = sign * (random() < 0.5 ? 50 : random() < 0.5 ? 0 : 250);
  const mta = sign * 50;
  const tip = payment === 1 ? Math.round(fare * 0.2 * random() * 1.5) : 0;
  const tolls = random() < 0.04 ? sign * 612 : 0;
  const improvement = sign * 30;
  const congestion = random() < 0.8 ? sign * 250 : 0;
  const total = fare + extra + mta + tip + tolls + improvement + congestion;
  return (
    vendor +
    ',' +
    pickup +
    ',' +
    dropoff +
    ',' +
    passengers +
    ',' +
    money(distance) +
    ',' +
    ratecode +
    ',' +
    flag +
    ',' +
    location(random) +
    ',' +
    location(random) +
    ',' +
    payment +
    ',' +
    money(fare) +
    ',' +
    money(extra) +
    ',' +
    money(mta) +
    ',' +
    money(tip) +
    ',' +
    money(tolls) +
    ',' +
    money(improvement) +
    ',' +
    money(total) +
    ',' +
    money(congestion) +
    '\n'
  );
}

/** The real file's tail: no vendor, passengers, rate code, flag or payment type; fares still present. */
function tailRow(pickup: string, dropoff: string, random: () => number): string {
  const distance = Math.round(-Math.log(1 - random()) * 600);
  const fare = 250 + Math.round(distance * 2.2);
  const extra = 275;
  const tolls = random() < 0.1 ? 612 : 0;
  const congestion = random() < 0.5 ? 250 : 0;
  const total = fare + extra + 50 + tolls + 30 + congestion;
  return (
    ',' +
    pickup +
    ',' +
    dropoff +
    ',,' +
    money(distance) +
    ',,,' +
    location(random) +
    ',' +
    location(random) +
    ',,' +
    money(fare) +
    ',' +
    money(extra) +
    ',0.5,0.0,' +
    money(tolls) +
    ',0.3,' +
    money(total) +
    ',' +
    money(congestion) +
    '\n'
  );
}

function pickPassengers(r: number): number {
  if (r < 0.7) return 1;
  if (r < 0.84) return 2;
  if (r < 0.88) return 3;
  if (r < 0.9) return 4;
  return r < 0.95 ? 5 : 6;
}

function location(random: () => number): number {
  return 1 + Math.floor(random() * 265);
}

/** Hundredths as the real file prints them: 12.5, 8.0, 2.45, -0.5. */
function money(hundredths: number): string {
  const isNegative = hundredths < 0;
  const abs = isNegative ? -hundredths : hundredths;
  const whole = Math.floor(abs / 100);
  const cents = abs - whole * 100;
  const fraction = cents === 0 ? '.0' : cents % 10 === 0 ? `.${cents / 10}` : `.${PAD2[cents]}`;
  return (isNegative ? '-' : '') + whole + fraction;
}

function clock(second: number): string {
  const h = Math.floor(second / 3600);
  const m = Math.floor((second % 3600) / 60);
  return `${PAD2[h]}:${PAD2[m]}:${PAD2[second % 60]}`;
}

function cacheDay(names: Map<number, string>, day: number): string {
  const name = new Date(day * DAY_MS).toISOString().slice(0, 10);
  names.set(day, name);
  return name;
}

/** A small, fast, seedable PRNG (mulberry32): same seed, same file. */
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
