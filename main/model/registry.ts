import type { BlockType } from './schema.ts';
import type { BlockKind } from './block-kind.ts';

/** The block kinds the engine can run, keyed by `type/kind`. The engine never imports a concrete kind. */
export class BlockRegistry {
  private readonly kinds = new Map<string, BlockKind>();

  /** Adds a kind; registering the same type/kind twice is a bug. */
  register<C>(kind: BlockKind<C>): this {
    const key = `${kind.type}/${kind.kind}`;
    if (this.kinds.has(key)) throw new Error(`block kind ${key} registered twice`);
    this.kinds.set(key, kind as BlockKind);
    return this;
  }

  /** The kind for a block's `type` and `kind`, if registered. */
  get(type: BlockType, kind: string): BlockKind | undefined {
    return this.kinds.get(`${type}/${kind}`);
  }

  /** Every registered kind, in registration order. */
  list(): BlockKind[] {
    return [...this.kinds.values()];
  }
}
