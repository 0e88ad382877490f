/**
 * @module channels/measure
 * How ad platforms count the length of a piece of copy: code points, display width (East Asian
 * wide and fullwidth characters count as 2, as Google Ads and Microsoft Advertising count them)
 * and SMS segments (GSM-7 or UCS-2).
 */

/** The ways a platform measures a field. */
export type LengthUnit = 'chars' | 'width' | 'sms_segments';

/** True for a code point that East Asian Width calls Wide or Fullwidth (emoji included). */
export function isWide(codePoint: number): boolean {
  return (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0x303e) ||
    (codePoint >= 0x3041 && codePoint <= 0x33ff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0xa000 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1f64f) ||
    (codePoint >= 0x1f900 && codePoint <= 0x1f9ff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  );
}

/** Length in code points, so an emoji or a rare CJK character counts once, not twice. */
export function countChars(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * Display width: wide and fullwidth characters count 2, others 1.
 * @example displayWidth('好茶 tea') // 2 + 2 + 1 + 3 = 8
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += isWide(ch.codePointAt(0) ?? 0) ? 2 : 1;
  return width;
}

// GSM 03.38 basic set; characters of the extension table cost two septets.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';

/** How an SMS body is encoded and how many segments it takes. */
export interface SmsCount {
  encoding: 'GSM-7' | 'UCS-2';
  /** septets for GSM-7, UTF-16 code units for UCS-2 */
  units: number;
  segments: number;
}

/**
 * Counts SMS segments: 160 GSM-7 septets or 70 UCS-2 units fit one message; longer bodies are sent
 * as concatenated parts of 153 septets or 67 units (the rest carries the reassembly header).
 * @example smsSegments('好茶上新').segments // 1
 */
export function smsSegments(text: string): SmsCount {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM_BASIC.includes(ch)) septets += 1;
    else if (GSM_EXTENSION.includes(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }

  if (gsm) return { encoding: 'GSM-7', units: septets, segments: segmentsFor(septets, 160, 153) };
  return { encoding: 'UCS-2', units: text.length, segments: segmentsFor(text.length, 70, 67) };
}

function segmentsFor(units: number, single: number, part: number): number {
  if (units === 0) return 0;
  return units <= single ? 1 : Math.ceil(units / part);
}

/** Measures text in the given unit. */
export function measure(text: string, unit: LengthUnit): number {
  if (unit === 'width') return displayWidth(text);
  if (unit === 'sms_segments') return smsSegments(text).segments;
  return countChars(text);
}
