import { createCanvas, Image } from '@napi-rs/canvas';

export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Decode PNG bytes to RGBA pixels (through @napi-rs/canvas, the library that drew them). */
export function decodePng(png: Buffer): Pixels {
  const img = new Image();
  img.src = png;
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height);
  return { width: img.width, height: img.height, data: d.data };
}

/** RGB of pixel (x, y). */
export function pixel(img: Pixels, x: number, y: number): [number, number, number] {
  const o = (y * img.width + x) * 4;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
}

export const isGrey = (c: readonly number[]) => c[0] === c[1] && c[1] === c[2];
