import { UserError } from '../model/errors.ts';
import type { BlockKind } from '../model/block-kind.ts';
import type { LoadedBlock } from '../model/project.ts';
import { renderConfig } from '../model/templating.ts';

/** The block's config rendered with the run's variables and validated by its kind; a UserError names the field. */
export function parseConfig(kind: BlockKind, block: LoadedBlock, variables: Record<string, unknown>): unknown {
  const rendered = renderConfig(block.config, variables, {}, 'config');
  const parsed = kind.configSchema.safeParse(rendered);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = ['config', ...(issue?.path ?? [])].join('.');
  throw new UserError(`${where}: ${issue?.message ?? 'invalid'}`, { block: block.id, path: where });
}
