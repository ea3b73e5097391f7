/**
 * Float64 work planes reused from one call to the next: a 512² tile's planes are megabytes each, and
 * allocating (zeroing, collecting) them for every tile costs a fair share of the work. Safe because
 * kernels run synchronously, one call at a time per thread, and no plane outlives its call: every
 * pass overwrites all of its output before reading it.
 */
const planes: Float64Array[] = [];

export const PLANE_INPUT = 0;
export const PLANE_MASK = 1;
export const PLANE_ACROSS = 2;
export const PLANE_VALUES = 3;
export const PLANE_GRADIENT_Y = 4;
export const PLANE_WEIGHTS = 5;
export const PLANE_WEIGHTS_Y = 6;
export const PLANE_SUMS_X = 7;

/** The work plane `slot` with `length` samples of undefined content. */
export function workPlane(slot: number, length: number): Float64Array {
  let plane = planes[slot];
  if (plane === undefined || plane.length < length) {
    plane = new Float64Array(length);
    planes[slot] = plane;
  }
  return plane.subarray(0, length);
}
