import { MAX_PROJECT_FILE_BYTES } from '../project/yaml-file.ts';

/** The longest block code `blocks.saveCode` takes, in UTF-8 bytes: as much as the loader reads back from a file. */
export const MAX_CODE_BYTES = MAX_PROJECT_FILE_BYTES;

/**
 * The largest call body a transport must accept: the longest code with every character JSON-escaped at its worst
 * (`\u0001`: 6 bytes for one UTF-8 byte), plus the rest of the call. Serve caps bodies at this, so any code the
 * contract allows reaches the handler, and a longer one gets the contract's own error rather than a bare 413.
 */
export const MAX_CALL_BYTES = MAX_CODE_BYTES * 6 + 64 * 1024;
