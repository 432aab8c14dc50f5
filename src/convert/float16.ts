/**
 * IEEE 754 half precision -> float32. The TFJS model stores its float weights
 * as float16 ("quantization": {"dtype": "float16"}); every value, including
 * subnormals, converts exactly to float32.
 */

/** One float16 bit pattern (low 16 bits of `bits`) as a number. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** `count` little-endian float16 values starting at `byteOffset` of `bytes`. */
export function decodeFloat16(bytes: Uint8Array, byteOffset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + byteOffset, count * 2);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = float16ToNumber(view.getUint16(i * 2, true));
  return out;
}
