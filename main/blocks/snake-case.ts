/**
 * CamelCase → snake_case with acronyms kept whole: VendorID → vendor_id, PULocationID → pu_location_id,
 * RatecodeID → ratecode_id. Names already in snake_case are unchanged; spaces and dashes become `_`.
 */
export function toSnakeCase(name: string): string {
  return name
    .trim()
    .replace(/[\s-]+/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/_+/g, '_')
    .toLowerCase();
}
