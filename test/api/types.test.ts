/**
 * The API's types: params are the input side of each op's zod schema (defaulted fields optional), so a
 * wrong param is a compile error. The `@ts-expect-error` lines are checked by `tsc` (npm run typecheck):
 * each must be an error, or the directive itself is.
 */
import { describe, expectTypeOf, it } from "vitest";
import {
  bandmath,
  flow,
  mosaic,
  read,
  type BandmathParams,
  type ConvolveParams,
  type Flow,
  type Image,
  type ImageChainManifest,
  type MosaicParams,
  type OrthoParams,
  type Plan,
  type ReadOptions,
  type RunSummary,
  type StretchParams,
  type SubmitOptions,
  type SubmitSummary,
} from "../../operator/api/index.ts";
import type { DataType } from "../../worker/io/raster.ts";

describe("signatures", () => {
  it("start, step, join and terminal calls", () => {
    expectTypeOf(read).parameters.toEqualTypeOf<[uri: string, options?: ReadOptions]>();
    expectTypeOf(read).returns.toEqualTypeOf<Image>();
    expectTypeOf<Image["bandmath"]>().returns.toEqualTypeOf<Image>();
    expectTypeOf<Image["pansharpen"]>().parameter(0).toEqualTypeOf<Image>();
    expectTypeOf(bandmath).parameter(0).toEqualTypeOf<readonly Image[] | Readonly<Record<string, Image>>>();
    expectTypeOf(mosaic).returns.toEqualTypeOf<Image>();
    expectTypeOf<Image["write"]>().returns.toEqualTypeOf<Flow>();
    expectTypeOf(flow).parameters.toEqualTypeOf<Flow[]>();
    expectTypeOf(flow).returns.toEqualTypeOf<Flow>();
    expectTypeOf<Flow["toManifest"]>().returns.toEqualTypeOf<ImageChainManifest>();
    expectTypeOf<Flow["toYAML"]>().returns.toEqualTypeOf<string>();
    expectTypeOf<Flow["plan"]>().returns.toEqualTypeOf<Promise<Plan>>();
    expectTypeOf<Flow["explain"]>().returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf<Flow["submit"]>().parameters.toEqualTypeOf<[options?: SubmitOptions]>();
    expectTypeOf<Flow["submit"]>().returns.toEqualTypeOf<Promise<SubmitSummary>>();
    expectTypeOf<Flow["run"]>().returns.toEqualTypeOf<Promise<RunSummary>>();
  });

  it("params are the schemas' inputs: defaulted fields are optional, with the schemas' literal types", () => {
    expectTypeOf<BandmathParams>().toEqualTypeOf<{
      expression: string | string[];
      dataType?: DataType | undefined;
      nodata?: number | undefined;
    }>();
    expectTypeOf<ConvolveParams["border"]>().toEqualTypeOf<
      "reflect" | "edge" | { constant: number } | undefined
    >();
    expectTypeOf<OrthoParams["crs"]>().toEqualTypeOf<string>();
    expectTypeOf<OrthoParams["resampling"]>().toEqualTypeOf<"nearest" | "bilinear" | "cubic" | undefined>();
    expectTypeOf<StretchParams["method"]>().toEqualTypeOf<"percentile" | "minmax" | undefined>();
    expectTypeOf<MosaicParams["method"]>().toEqualTypeOf<"first" | "last" | "mean" | "max" | undefined>();
    expectTypeOf<Parameters<Image["stretch"]>>().toEqualTypeOf<
      [params?: StretchParams, options?: { readonly name?: string; readonly as?: string }]
    >();
  });
});

/** Never called: its lines exist for the compiler. */
export function typeErrors(image: Image, chain: Flow): void {
  image.convolve({ kernel: { box: { size: 3 } } }); // defaults may be left out
  // @ts-expect-error a bandmath needs an expression
  image.bandmath({ dataType: "float32" });
  // @ts-expect-error an expression is a string or a list of strings
  image.bandmath({ expression: 4 });
  // @ts-expect-error no such data type
  image.bandmath({ expression: "im.b1", dataType: "float16" });
  // @ts-expect-error a misspelt param
  image.bandmath({ expression: "im.b1", datatype: "uint8" });
  // @ts-expect-error sigma is a number
  image.convolve({ kernel: { gaussian: { sigma: "1.5" } } });
  // @ts-expect-error no such border
  image.convolve({ kernel: { laplacian: {} }, border: "wrap" });
  // @ts-expect-error ortho needs a CRS
  image.ortho({ resolution: 10 });
  // @ts-expect-error bounds are four numbers
  image.reproject({ crs: "EPSG:32631", resolution: 10, bounds: [0, 0, 1] });
  // @ts-expect-error the dem is an image
  image.ortho({ crs: "EPSG:32631", resolution: 10 }, { dem: "s3://aux/dem.tif" });
  // @ts-expect-error pansharpen takes the multispectral image first
  image.pansharpen({ weights: [1] });
  // @ts-expect-error no such stretch
  image.stretch({ method: "histogram" });
  // @ts-expect-error no such mosaic method
  mosaic([image], { method: "median" });
  // @ts-expect-error inputs are images
  bandmath({ a: "s3://b/a.tif" }, { expression: "a.b1" });
  // @ts-expect-error a band count is a number
  read("s3://b/a.tif", { bands: "4" });
  // @ts-expect-error no such compression
  image.write("s3://out/x.tif", { compression: "zstd" });
  // @ts-expect-error parallelism is a number
  chain.toManifest({ execution: { parallelism: "4" } });
  // @ts-expect-error workers is a number
  void chain.run({ workers: "2" });
}
