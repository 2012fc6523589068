import { stringify as toYaml } from 'yaml';

/** A block's settings as the YAML a user would write in pipeline.yaml. */
export function stringify(value: unknown): string {
  return toYaml(value, { lineWidth: 0 });
}
