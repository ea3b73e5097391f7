/**
 * Typed arrays recycled from one task to the next. A worker's tasks allocate tiles of a handful of sizes,
 * megabytes each; allocated fresh, they drive V8 into a full collection every few tasks (external memory
 * pressure), which cost a third of a worker's CPU. Tasks take arrays here and give them all back when done.
 */
import { typedArrayFor, type DataType, type TypedArray } from "../io/raster.ts";

const KEEP_PER_SIZE = 24;

export class ArrayPool {
  private readonly free = new Map<string, TypedArray[]>();

  take(dataType: DataType, length: number): TypedArray {
    return this.free.get(`${dataType}:${length}`)?.pop() ?? typedArrayFor(dataType, length);
  }

  /** `take` as a function (for kernels' output arrays). */
  readonly allocate = (dataType: DataType, length: number): TypedArray => this.take(dataType, length);

  /** Bytes of at least `length` (a view of a recycled buffer). */
  bytes(length: number): Uint8Array {
    return this.take("uint8", length) as Uint8Array;
  }

  /** Give back arrays no longer referenced; views of a larger buffer are not kept. */
  give(arrays: Iterable<TypedArray>): void {
    for (const a of arrays) {
      if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) continue;
      const key = `${dataTypeOf(a)}:${a.length}`;
      let list = this.free.get(key);
      if (!list) this.free.set(key, (list = []));
      if (list.length < KEEP_PER_SIZE && !list.includes(a)) list.push(a);
    }
  }
}

function dataTypeOf(a: TypedArray): DataType {
  if (a instanceof Uint8Array) return "uint8";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint16Array) return "uint16";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Uint32Array) return "uint32";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Float32Array) return "float32";
  return "float64";
}
