import { ApiError } from '../api/api-client.ts';
import { messageOf } from '../use-project.ts';

/** An edit's refusal in the user's words, and the field of the dialog it is about (when it is about one). */
export interface EditProblem {
  text: string;
  field: 'name' | 'config' | null;
}

/** Block ids as pipeline.yaml accepts them (the schema's rule, checked before asking the main side). */
const BLOCK_ID = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Why `name` cannot be a block name, or null when it can. */
export function blockNameProblem(name: string): string | null {
  if (name === '') return 'Give the block a name.';
  if (name.length > 63) return 'A block name has at most 63 characters.';
  if (!BLOCK_ID.test(name)) return 'Use letters, digits and _ (not starting with a digit), e.g. clean_orders.';
  return null;
}

/**
 * The contract checks a call's params at the boundary and answers with their path (`pipelines.update: edits.1.to:
 * …`): the path is ours, not the user's. It becomes the dialog field it is about, and the rest stays.
 */
export function describeEditError(error: unknown): EditProblem {
  const message = error instanceof ApiError ? error.shape.message : messageOf(error);
  const boundary = /^pipelines\.(?:update|create): edits\.\d+\.(?:block\.)?([\w.]+): (.*)$/s.exec(message);
  if (boundary) {
    const [, path = '', rest = ''] = boundary;
    if (/^(id|to|from)$/.test(path)) return { text: `Block name: ${rest}`, field: 'name' };
    if (path.startsWith('config')) return { text: `${path.replace(/^config\.?/, '') || 'Config'}: ${rest}`, field: 'config' };
    return { text: `${path}: ${rest}`, field: null };
  }
  const place = error instanceof ApiError ? error.shape.place : undefined;
  if (/already exists in this pipeline|block ids must be unique/.test(message)) return { text: message, field: 'name' };
  if (place?.path?.includes('config') || /\bconfig\.\w/.test(message)) return { text: message, field: 'config' };
  return { text: message, field: null };
}
