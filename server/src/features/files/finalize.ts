import { open, rename, rm, stat } from 'node:fs/promises'
import sharp from 'sharp'
import type { FilesConfig } from '../../config'
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors'
import { REENCODED_IMAGES, SNIFF_BYTES, sniff, type SniffedType } from './sniff'

export interface Finalized {
  type: SniffedType
  size: number
  width?: number
  height?: number
}

async function readHead(path: string): Promise<{ head: Uint8Array; size: number }> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const buffer = new Uint8Array(Math.min(SNIFF_BYTES, size))
    await handle.read(buffer, 0, buffer.length, 0)
    return { head: buffer, size }
  } finally {
    await handle.close()
  }
}

/** Size limit for a kind, as the 413 every upload path answers. */
export function assertWithinLimit(config: FilesConfig, type: SniffedType, size: number): void {
  const limit = config.maxBytes[type.kind]
  if (size > limit) throw new PayloadTooLargeError(`${type.kind === 'other' ? 'Files' : `${type.kind[0]!.toUpperCase()}${type.kind.slice(1)} files`} may be at most ${limit} bytes`, { details: { limitBytes: limit, kind: type.kind } })
}

/**
 * Decides a staged file's type from its bytes, enforces the kind's size limit and re-encodes images
 * in place, which drops every metadata block (EXIF with GPS, XMP, IPTC) and applies the EXIF
 * orientation first so the picture still stands upright.
 */
export async function finalizeStaged(config: FilesConfig, path: string): Promise<Finalized> {
  const { head, size } = await readHead(path)
  const type = sniff(head, size <= SNIFF_BYTES)
  assertWithinLimit(config, type, size)
  if (!REENCODED_IMAGES.has(type.mime)) return { type, size }
  const clean = `${path}.clean`
  try {
    const animated = type.mime === 'image/gif' || type.mime === 'image/webp'
    let image = sharp(path, { animated, limitInputPixels: 100_000_000 })
    if (!animated) image = image.rotate()
    let output: SniffedType = type
    switch (type.mime) {
      case 'image/png':
        image = image.png()
        break
      case 'image/gif':
        image = image.gif()
        break
      case 'image/webp':
        image = image.webp({ quality: 90 })
        break
      case 'image/avif':
        image = image.avif({ quality: 60 })
        break
      default:
        // JPEG stays JPEG; HEIC (which browsers rarely show) becomes JPEG.
        image = image.jpeg({ quality: 90, mozjpeg: true })
        output = { mime: 'image/jpeg', kind: 'image', ext: 'jpg' }
    }
    const info = await image.toFile(clean)
    await rename(clean, path)
    return { type: output, size: (await stat(path)).size, width: info.width, height: animated ? (info.pageHeight ?? info.height) : info.height }
  } catch (error) {
    await rm(clean, { force: true })
    throw new UnsupportedMediaTypeError('This image could not be read', { code: 'IMAGE_UNREADABLE', cause: error })
  }
}
