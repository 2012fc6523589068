import { ApiError } from '../api/api-client.ts';

/** A failed save as the forms show it: the message at the field the server named (place.path), else at the form. */
export interface FormError {
  field: string | null;
  message: string;
}

/** Maps a rejected call to the field it names; a path like `engine.threads` or `pg.host` maps to its last part. */
export function toFormError(error: unknown, fields: readonly string[]): FormError {
  if (error instanceof ApiError) {
    const last = error.shape.place?.path?.split('.').at(-1) ?? null;
    const message = error.shape.message.replace(/^[a-z_]+: /, '');
    return { field: last !== null && fields.includes(last) ? last : null, message };
  }
  return { field: null, message: error instanceof Error ? error.message : String(error) };
}
