/** `load_month[3]`: the id of a dynamic child, by its item's 0-based row number in the dynamic block's output. */
export function childId(blockId: string, index: number): string {
  return `${blockId}[${index}]`;
}

/** The fanned-out block and item number of a child id (`load_month[3]`), or undefined for any other id. */
export function parseChildId(id: string): { blockId: string; index: number } | undefined {
  const match = /^(.+)\[(\d+)\]$/.exec(id);
  if (!match) return undefined;
  return { blockId: match[1] ?? '', index: Number(match[2]) };
}

/**
 * `load_month[]`: the id under which the workspace records the one table that holds the outputs of all of a fan-out's
 * children (a child's output is its rows there). Block ids are identifiers, so no block can take it.
 */
export function childrenOutputId(blockId: string): string {
  return `${blockId}[]`;
}
