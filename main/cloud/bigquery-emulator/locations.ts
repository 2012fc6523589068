import { JobFailure } from './catalog.ts';

/**
 * BigQuery's location rules (https://cloud.google.com/bigquery/docs/locations,
 * https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#limitations). Locations compare
 * case-insensitively (`EU` = `eu`, `europe-west1` = `EUROPE-WEST1`).
 */
export function sameLocation(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** `US` and `EU` are multi-regions: jobs there may be read without naming the location; regional jobs may not. */
export function isMultiRegion(location: string): boolean {
  return ['us', 'eu'].includes(location.toLowerCase());
}

/**
 * Fails a load whose bucket BigQuery cannot read from the dataset's location: "If your dataset's location is set to
 * a value other than the US multi-region, then the Cloud Storage bucket must be in the same region or contained in
 * the same multi-region as the dataset."
 */
export function checkBucketLocation(bucketLocation: string, datasetLocation: string): void {
  if (sameLocation(datasetLocation, 'US') || sameLocation(bucketLocation, datasetLocation)) return;
  const contained = sameLocation(datasetLocation, 'EU') ? /^europe-/i.test(bucketLocation) : false;
  if (contained) return;
  throw new JobFailure(
    'invalid',
    `Cannot read and write in different locations: source: ${bucketLocation}, destination: ${datasetLocation}`,
  );
}
