/**
 * Cuts ffmpeg's rawvideo byte stream into whole frames. Pipe chunks (typically
 * 64 KiB) do not line up with frames (e.g. 331,776 bytes at 384x288 RGB24), so
 * each frame gets one preallocated buffer that chunk slices are copied into:
 * every byte is copied exactly once, never concatenated or re-sliced.
 */
export class FrameAssembler {
  /** Bytes per frame (width * height * 3 for RGB24). */
  readonly frameBytes: number;
  #frame: Buffer;
  #filled = 0;

  constructor(frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes < 1) {
      throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    }
    this.frameBytes = frameBytes;
    this.#frame = Buffer.allocUnsafe(frameBytes);
  }

  /** Bytes of an incomplete frame held back (what is left over if the stream ends now). */
  get pendingBytes(): number {
    return this.#filled;
  }

  /** Consumes `chunk`, yielding each frame it completes (a fresh buffer the caller may keep). */
  *write(chunk: Uint8Array): Generator<Uint8Array, void, undefined> {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.frameBytes - this.#filled);
      this.#frame.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.frameBytes) yield this.#takeFrame();
    }
  }

  #takeFrame(): Uint8Array {
    const full = this.#frame;
    // allocUnsafe is safe here: every byte is overwritten before the frame is handed out.
    this.#frame = Buffer.allocUnsafe(this.frameBytes);
    this.#filled = 0;
    return full;
  }
}
