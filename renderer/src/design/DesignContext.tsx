import { createContext, useContext } from 'react';
import type { BlockSchema } from '../../../main/api/design-contract.ts';
import type { ColumnFocus, LineageMarks } from './lineage-graph.ts';

export interface DesignState {
  /** Design-time schemas of the shown pipeline's blocks, by id (empty until loaded). */
  schemas: ReadonlyMap<string, BlockSchema>;
  focus: ColumnFocus | null;
  setFocus(focus: ColumnFocus | null): void;
  marks: LineageMarks;
}

export const DesignContext = createContext<DesignState>({ schemas: new Map(), focus: null, setFocus: () => undefined, marks: new Map() });

/** The design-time schema of one block, if known. */
export function useBlockSchema(blockId: string): BlockSchema | undefined {
  return useContext(DesignContext).schemas.get(blockId);
}

/** The shown pipeline's design-time state: schemas, the traced column and its marks. */
export function useDesign(): DesignState {
  return useContext(DesignContext);
}
