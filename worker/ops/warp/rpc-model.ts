import type { Rpc } from "../../io/tiff/rpc.ts";

/**
 * The RPC00B camera model as GDAL evaluates it (gdal_rpc.cpp): longitude, latitude (WGS 84 degrees) and
 * height (metres above the ellipsoid) are normalised by their offsets and scales, the 20 terms are
 * 1 L P H LP LH PH L² P² H² PLH L³ LP² LH² L²P P³ PH² L²H P²H H³, and the ratios give sample and line
 * with the centre of the first pixel at 0; GDAL's pixel-corner convention adds 0.5 to both.
 */
export type GroundToImage = (lon: number, lat: number, height: number, out: Float64Array) => void;

export function groundToImage(rpc: Rpc): GroundToImage {
  const ln = Float64Array.from(rpc.lineNumCoeff);
  const ld = Float64Array.from(rpc.lineDenCoeff);
  const sn = Float64Array.from(rpc.sampNumCoeff);
  const sd = Float64Array.from(rpc.sampDenCoeff);
  const t = new Float64Array(20);
  return (lon, lat, height, out) => {
    const L = (lon - rpc.longOff) / rpc.longScale;
    const P = (lat - rpc.latOff) / rpc.latScale;
    const H = (height - rpc.heightOff) / rpc.heightScale;
    t[0] = 1;
    t[1] = L;
    t[2] = P;
    t[3] = H;
    t[4] = L * P;
    t[5] = L * H;
    t[6] = P * H;
    t[7] = L * L;
    t[8] = P * P;
    t[9] = H * H;
    t[10] = P * L * H;
    t[11] = L * L * L;
    t[12] = L * P * P;
    t[13] = L * H * H;
    t[14] = L * L * P;
    t[15] = P * P * P;
    t[16] = P * H * H;
    t[17] = L * L * H;
    t[18] = P * P * H;
    t[19] = H * H * H;
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (let i = 0; i < 20; i++) {
      const v = t[i]!;
      a += v * ln[i]!;
      b += v * ld[i]!;
      c += v * sn[i]!;
      d += v * sd[i]!;
    }
    out[0] = (c / d) * rpc.sampScale + rpc.sampOff + 0.5;
    out[1] = (a / b) * rpc.lineScale + rpc.lineOff + 0.5;
  };
}

/**
 * Image → ground at a given height: Newton's method on groundToImage with a finite-difference
 * Jacobian, from the model's centre. Writes lon, lat to out (NaN when it does not converge).
 */
export function imageToGround(
  rpc: Rpc,
): (col: number, row: number, height: number, out: Float64Array) => void {
  const g2i = groundToImage(rpc);
  const p = new Float64Array(2);
  const dl = rpc.longScale * 1e-6;
  const dp = rpc.latScale * 1e-6;
  return (col, row, height, out) => {
    let lon = rpc.longOff;
    let lat = rpc.latOff;
    for (let iter = 0; iter < 20; iter++) {
      g2i(lon, lat, height, p);
      const ex = col - p[0]!;
      const ey = row - p[1]!;
      if (Math.abs(ex) + Math.abs(ey) < 1e-9) break;
      const x0 = p[0]!;
      const y0 = p[1]!;
      g2i(lon + dl, lat, height, p);
      const a = (p[0]! - x0) / dl;
      const c = (p[1]! - y0) / dl;
      g2i(lon, lat + dp, height, p);
      const b = (p[0]! - x0) / dp;
      const d = (p[1]! - y0) / dp;
      const det = a * d - b * c;
      if (!Number.isFinite(det) || det === 0) {
        lon = NaN;
        break;
      }
      lon += (d * ex - b * ey) / det;
      lat += (a * ey - c * ex) / det;
    }
    g2i(lon, lat, height, p);
    const ok = Math.abs(col - p[0]!) + Math.abs(row - p[1]!) < 1e-3;
    out[0] = ok ? lon : NaN;
    out[1] = ok ? lat : NaN;
  };
}

/**
 * Image → ground over a terrain: alternate image → ground at a height and the terrain's height there,
 * from the model's mean height, until the height moves by less than 1 cm (GDAL iterates the same way).
 * Writes lon, lat, height to out; NaN when the terrain is unknown there or it does not converge.
 */
export function imageToTerrain(
  rpc: Rpc,
  heightAt: (lon: number, lat: number) => number,
): (col: number, row: number, out: Float64Array) => void {
  const i2g = imageToGround(rpc);
  const p = new Float64Array(2);
  return (col, row, out) => {
    let h = rpc.heightOff;
    out.fill(NaN);
    for (let iter = 0; iter < 30; iter++) {
      i2g(col, row, h, p);
      const next = heightAt(p[0]!, p[1]!);
      if (Number.isNaN(next)) return;
      const done = Math.abs(next - h) < 0.01;
      h = next;
      if (done) {
        i2g(col, row, h, p);
        out[0] = p[0]!;
        out[1] = p[1]!;
        out[2] = h;
        return;
      }
    }
  };
}
