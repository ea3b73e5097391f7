import type { Block, DataType, TypedArray, Window } from "../io/raster.ts";
import type { Grid } from "./grid.ts";

/** One input of a kernel call: the pixels of `window` (the op's footprint of the output tile, clipped to the input). */
export interface KernelInput {
  readonly block: Block;
  /** Where `block` lies in the input's grid, in input pixels. */
  readonly window: Window;
  /** The input's whole grid: its size tells a kernel where the image ends (borders), its nodata which pixels to skip. */
  readonly grid: Grid;
  /** For an input with a reduction footprint: what its reduce task made of the whole input (see Reduction). */
  readonly reduced?: Uint8Array;
}

/** The output tile a kernel call makes: `window` in the pixels of the step's output `grid`. */
export interface KernelOutput {
  readonly window: Window;
  readonly grid: Grid;
  /**
   * Where the output's arrays come from (default: new ones). A worker passes its pool, so that tiles of a few
   * megabytes are recycled instead of driving the garbage collector. Contents are undefined: write them all.
   */
  readonly allocate?: (dataType: DataType, length: number) => TypedArray;
}

/**
 * A step's pixel computation for one output tile. Pure and synchronous (CPU only): the task runner reads
 * the inputs' footprints before the call and writes the result after. Returns a block of
 * `output.window`'s size with `output.grid.bands` bands of `output.grid.dataType`.
 */
export type Kernel<P> = (params: P, inputs: ReadonlyMap<string, KernelInput>, output: KernelOutput) => Block;

/** The partials of every tile of a reduced input, in task order; each call reads them again from the start. */
export type Partials = () => AsyncIterable<Uint8Array>;

/**
 * The two halves of a global reduction over one input (an op whose footprint on it is `reduction`):
 * `partial` condenses one tile of the input (`input.window` of it) into a few bytes; `reduce` merges the
 * partials of every tile into the bytes each kernel call then receives as `KernelInput.reduced`. The
 * encodings are the op's own; `reduce` reads the partials only through `partials` (one or more passes,
 * holding what it keeps, not every partial at once).
 */
export interface Reduction<P> {
  readonly partial: (params: P, input: KernelInput) => Uint8Array;
  readonly reduce: (params: P, inputGrid: Grid, partials: Partials) => Promise<Uint8Array>;
}
