import { lineOf, safeId } from './import-types.ts';

export interface SqlRewrite {
  sql: string;
  /** Template expressions with no Pipewright equivalent, with their line. */
  problems: { what: string; line: number }[];
}

/**
 * Rewrites a Mage SQL block's Jinja into Pipewright's SQL: `{{ df_1 }}` and `{{ block_output('x') }}` and
 * `{{ x }}` (an upstream uuid) become the upstream block's id; `{{ var('v') }}` becomes `{{ v }}`;
 * `{{ env_var('X') }}` becomes `{{ env.X }}`. `upstream` holds the Mage uuids in `upstream_blocks` order.
 */
export function rewriteSql(text: string, upstream: string[]): SqlRewrite {
  const problems: SqlRewrite['problems'] = [];
  const upstreamIds = new Map(upstream.map((uuid) => [uuid, safeId(uuid)]));
  const sql = text.replace(/\{\{\s*([\s\S]*?)\s*\}\}/g, (whole, inner: string, offset: number) => {
    const line = text.slice(0, offset).split('\n').length;
    const df = /^df_(\d+)$/.exec(inner);
    if (df) {
      const uuid = upstream[Number(df[1]) - 1];
      if (uuid) return safeId(uuid);
      problems.push({ what: `${whole}: the block has ${upstream.length} upstream blocks`, line });
      return whole;
    }
    const output = /^block_output\(\s*(?:block_uuid\s*=\s*)?['"]([^'"]+)['"][^)]*\)$/.exec(inner);
    if (output?.[1]) return safeId(output[1]);
    const direct = upstreamIds.get(inner);
    if (direct) return direct;
    const variable = /^var\(\s*['"]([A-Za-z_]\w*)['"]\s*\)$/.exec(inner);
    if (variable) return `{{ ${variable[1]} }}`;
    const env = /^env_var\(\s*['"]([A-Za-z_]\w*)['"]\s*\)$/.exec(inner);
    if (env) return `{{ env.${env[1]} }}`;
    if (/^(execution_date|ds|run_id)$/.test(inner)) return whole;
    problems.push({ what: `${whole} has no Pipewright equivalent`, line });
    return whole;
  });
  const statement = lineOf(text, /\{%/);
  if (statement) problems.push({ what: 'Jinja statements ({% … %}) are not supported in Pipewright SQL', line: statement });
  return { sql, problems };
}
