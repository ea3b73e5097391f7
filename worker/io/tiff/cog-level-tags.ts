/** The tags of each COG level (besides tile offsets and byte counts), from the resolved spec. */
import { bytesPerSample, isIntegerType } from "../raster.ts";
import type { ResolvedCogSpec } from "./cog-spec.ts";
import { geoTags } from "./cog-geokeys.ts";
import type { TiffTag } from "./cog-ifd.ts";
import { Tag } from "./ifd-tags.ts";
import { COMPRESSION_CODE, predictorFor } from "./encode/tile-encoder.ts";

const PHOTOMETRIC_MIN_IS_BLACK = 1;
const PLANAR_CONTIGUOUS = 1;
const SUBFILE_REDUCED_IMAGE = 1;
const EXTRA_SAMPLE_UNSPECIFIED = 0;

/** GDAL writes nodata as text; the shortest decimal that parses back to the same double. */
export function formatNodata(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  return String(value);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** GDAL escapes item values twice (CPLEscapeString, then the XML serialiser) and unescapes them twice. */
export function gdalMetadataXml(items: Readonly<Record<string, string>>): string | null {
  const names = Object.keys(items).sort();
  if (names.length === 0) return null;
  const lines = names.map(
    (n) => `  <Item name="${escapeXml(n)}">${escapeXml(escapeXml(items[n]!))}</Item>\n`,
  );
  return `<GDALMetadata>\n${lines.join("")}</GDALMetadata>\n`;
}

export function levelTags(spec: ResolvedCogSpec, level: number): TiffTag[] {
  const { width, height } = spec.levels[level]!;
  const spp = spec.bandCount;
  const sampleFormat = isIntegerType(spec.dataType) ? (spec.dataType.startsWith("u") ? 1 : 2) : 3;
  const tags: TiffTag[] = [
    { tag: Tag.ImageWidth, type: "LONG", values: [width] },
    { tag: Tag.ImageLength, type: "LONG", values: [height] },
    {
      tag: Tag.BitsPerSample,
      type: "SHORT",
      values: new Array<number>(spp).fill(bytesPerSample(spec.dataType) * 8),
    },
    { tag: Tag.Compression, type: "SHORT", values: [COMPRESSION_CODE[spec.compression]] },
    { tag: Tag.Photometric, type: "SHORT", values: [PHOTOMETRIC_MIN_IS_BLACK] },
    { tag: Tag.SamplesPerPixel, type: "SHORT", values: [spp] },
    { tag: Tag.PlanarConfiguration, type: "SHORT", values: [PLANAR_CONTIGUOUS] },
    { tag: Tag.TileWidth, type: "LONG", values: [spec.tileSize] },
    { tag: Tag.TileLength, type: "LONG", values: [spec.tileSize] },
    { tag: Tag.SampleFormat, type: "SHORT", values: new Array<number>(spp).fill(sampleFormat) },
  ];
  if (level > 0) tags.push({ tag: Tag.NewSubfileType, type: "LONG", values: [SUBFILE_REDUCED_IMAGE] });
  const predictor = predictorFor(spec.compression, spec.dataType);
  if (predictor !== 1) tags.push({ tag: Tag.Predictor, type: "SHORT", values: [predictor] });
  if (spp > 1) {
    tags.push({
      tag: Tag.ExtraSamples,
      type: "SHORT",
      values: new Array<number>(spp - 1).fill(EXTRA_SAMPLE_UNSPECIFIED),
    });
  }
  if (spec.nodata !== null)
    tags.push({ tag: Tag.GdalNodata, type: "ASCII", values: formatNodata(spec.nodata) });
  if (level === 0) {
    tags.push(...geoTags(spec.crs, spec.crsKind, spec.geoTransform));
    const xml = gdalMetadataXml(spec.metadata);
    if (xml) tags.push({ tag: Tag.GdalMetadata, type: "ASCII", values: xml });
  }
  return tags;
}
