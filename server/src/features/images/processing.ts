import sharp from 'sharp'
import type { ImageJobOptions, SOCIAL_FORMATS } from '../../db/schema'

export type SocialFormat = (typeof SOCIAL_FORMATS)[number]

/** Target sizes of the social formats; `original` keeps the input's size. */
export const FORMAT_SIZES: Record<Exclude<SocialFormat, 'original'>, { width: number; height: number }> = {
  square: { width: 1080, height: 1080 },
  portrait: { width: 1080, height: 1350 },
  story: { width: 1080, height: 1920 },
  landscape: { width: 1200, height: 630 },
}

export interface EncodedImage {
  bytes: Buffer
  mime: string
  width: number
  height: number
}

/** Large inputs are capped before the model: it segments at about 1024 px anyway, and the cap bounds memory. */
const MAX_CUTOUT_EDGE = 4096

/** Bun's Worker can stop holding the process open while idle (missing from the DOM typings). */
type Thread = Worker & { ref(): void; unref(): void }

type SegmentReply = { id: number; png: ArrayBuffer } | { id: number; error: string }

/**
 * One background thread per process for @imgly/background-removal-node (its ONNX model ships in the
 * package, so this runs offline). Inference blocks its thread for seconds; on the worker's own
 * event loop it would stop BullMQ renewing job locks, and a long job would be taken for stalled.
 * The thread (and the model) starts on first use and only keeps the process alive while busy.
 */
class Segmenter {
  #thread: Thread | null = null
  #pending = new Map<number, { resolve(png: ArrayBuffer): void; reject(error: Error): void }>()
  #nextId = 1

  segment(png: ArrayBuffer): Promise<ArrayBuffer> {
    const thread = this.#start()
    const id = this.#nextId++
    thread.ref()
    return new Promise<ArrayBuffer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      thread.postMessage({ id, png }, [png])
    })
  }

  #start(): Thread {
    if (this.#thread) return this.#thread
    const thread = new Worker(new URL('./segment-thread.ts', import.meta.url).href) as Thread
    thread.onmessage = (event: MessageEvent<SegmentReply>) => {
      const reply = event.data
      const waiter = this.#pending.get(reply.id)
      this.#pending.delete(reply.id)
      if (this.#pending.size === 0) thread.unref()
      if ('error' in reply) waiter?.reject(new Error(`background removal failed: ${reply.error}`))
      else waiter?.resolve(reply.png)
    }
    thread.onerror = (event) => {
      // A crashed thread fails what it held; the next call starts a fresh one.
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`background removal thread crashed: ${event.message}`))
      this.#pending.clear()
      this.#thread = null
    }
    this.#thread = thread
    return thread
  }
}

const segmenter = new Segmenter()

/** The subject cut out: a PNG with alpha, the size of the (capped) input. */
export async function removeBackground(inputPath: string): Promise<EncodedImage> {
  const png = await sharp(inputPath).rotate().resize({ width: MAX_CUTOUT_EDGE, height: MAX_CUTOUT_EDGE, fit: 'inside', withoutEnlargement: true }).png().toBuffer()
  const cutout = await segmenter.segment(png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength) as ArrayBuffer)
  return encoded(Buffer.from(cutout), 'image/png')
}

/** The cut-out flattened onto a colour (`#rrggbb`). */
export async function compositeOnColor(cutout: Buffer, color: string): Promise<EncodedImage> {
  return encoded(await sharp(cutout).flatten({ background: color }).png().toBuffer(), 'image/png')
}

/** The cut-out over a background image, scaled and cropped to cover the cut-out's size. */
export async function compositeOnImage(cutout: EncodedImage, backgroundPath: string): Promise<EncodedImage> {
  const background = sharp(backgroundPath).rotate().resize({ width: cutout.width, height: cutout.height, fit: 'cover' })
  return encoded(await background.composite([{ input: cutout.bytes }]).png().toBuffer(), 'image/png')
}

/** Auto-level, median denoise and sharpen, then one social format (cover crop on the most interesting region). */
export async function enhance(inputPath: string, options: ImageJobOptions, format: SocialFormat): Promise<EncodedImage> {
  let image = sharp(inputPath).rotate()
  if (options.normalize !== false) image = image.normalise()
  if (options.denoise) image = image.median(options.denoise)
  if (options.sharpen !== false) image = image.sharpen()
  if (format !== 'original') image = image.resize({ ...FORMAT_SIZES[format], fit: 'cover', position: sharp.strategy.attention })
  // Re-encoding drops EXIF (GPS included); sharp keeps no metadata unless asked.
  return encoded(await image.jpeg({ quality: 90, mozjpeg: true }).toBuffer(), 'image/jpeg')
}

async function encoded(bytes: Buffer, mime: string): Promise<EncodedImage> {
  const { width = 0, height = 0 } = await sharp(bytes).metadata()
  return { bytes, mime, width, height }
}
