import type bwip from 'bwip-js';
import { loadWhenNeeded } from '../load-when-needed.js';

export const BARCODE_TYPES = ['qrcode', 'code128'] as const;
export type BarcodeType = (typeof BARCODE_TYPES)[number];

/** An SVG image of `code`, for a member's phone screen at the till. */
export function renderBarcode(code: string, type: BarcodeType): string {
  return loadWhenNeeded<typeof bwip>('bwip-js').toSVG(
    type === 'qrcode'
      ? { bcid: 'qrcode', text: code, scale: 4, paddingwidth: 2, paddingheight: 2 }
      : { bcid: 'code128', text: code, scale: 2, height: 12, includetext: true, textxalign: 'center' },
  );
}
