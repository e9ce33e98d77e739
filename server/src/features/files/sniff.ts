import type { FileKind } from '../../config'

export interface SniffedType {
  mime: string
  kind: FileKind
  /** Extension the stored name gets, whatever the client called the file. */
  ext: string
}

/** How many leading bytes `sniff` wants to see (fewer work for short files). */
export const SNIFF_BYTES = 4096

const ascii = (bytes: Uint8Array, offset: number, text: string) => {
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}
const starts = (bytes: Uint8Array, signature: number[], offset = 0) => signature.every((byte, i) => bytes[offset + i] === byte)

const OCTET: SniffedType = { mime: 'application/octet-stream', kind: 'other', ext: 'bin' }

/** ISO base media (mp4, m4a, mov, heic): the major brand decides. */
function isoBmff(bytes: Uint8Array): SniffedType | null {
  if (!ascii(bytes, 4, 'ftyp')) return null
  const brand = String.fromCharCode(...bytes.slice(8, 12))
  if (['heic', 'heix', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return { mime: 'image/heic', kind: 'image', ext: 'heic' }
  if (brand === 'avif') return { mime: 'image/avif', kind: 'image', ext: 'avif' }
  if (brand.startsWith('M4A') || brand.startsWith('M4B')) return { mime: 'audio/mp4', kind: 'audio', ext: 'm4a' }
  if (brand === 'qt  ') return { mime: 'video/quicktime', kind: 'video', ext: 'mov' }
  return { mime: 'video/mp4', kind: 'video', ext: 'mp4' }
}

/** Text when the head is valid UTF-8 without control bytes other than whitespace. */
function looksLikeText(bytes: Uint8Array, complete: boolean): boolean {
  if (bytes.length === 0) return false
  // A multi-byte character may be cut at the end of the head; ignore up to 3 trailing bytes.
  const head = complete ? bytes : bytes.slice(0, Math.max(0, bytes.length - 3))
  for (const byte of head) if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head)
    return true
  } catch {
    return false
  }
}

/**
 * The type of a file from its first bytes (magic numbers). The client's Content-Type and file
 * name are never consulted: unknown content is stored as application/octet-stream.
 * `complete` says the head is the whole file.
 */
export function sniff(bytes: Uint8Array, complete = false): SniffedType {
  if (starts(bytes, [0xff, 0xd8, 0xff])) return { mime: 'image/jpeg', kind: 'image', ext: 'jpg' }
  if (starts(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { mime: 'image/png', kind: 'image', ext: 'png' }
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return { mime: 'image/gif', kind: 'image', ext: 'gif' }
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return { mime: 'image/webp', kind: 'image', ext: 'webp' }
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE')) return { mime: 'audio/wav', kind: 'audio', ext: 'wav' }
  if (ascii(bytes, 0, '%PDF-')) return { mime: 'application/pdf', kind: 'other', ext: 'pdf' }
  if (starts(bytes, [0x1a, 0x45, 0xdf, 0xa3])) {
    // Matroska and WebM share EBML; the DocType says which. The Tracks element (near the start) names
    // each track's codec: with audio codecs only (a browser's MediaRecorder voice note) it is audio.
    const head = new TextDecoder('latin1').decode(bytes)
    const webm = head.slice(0, 64).includes('webm')
    const audioOnly = /A_(OPUS|VORBIS|AAC|MPEG|FLAC|PCM)/.test(head) && !/V_(VP8|VP9|AV1|MPEG4|MPEGH|THEORA|UNCOMPRESSED)/.test(head)
    if (audioOnly) return webm ? { mime: 'audio/webm', kind: 'audio', ext: 'weba' } : { mime: 'audio/x-matroska', kind: 'audio', ext: 'mka' }
    return webm ? { mime: 'video/webm', kind: 'video', ext: 'webm' } : { mime: 'video/x-matroska', kind: 'video', ext: 'mkv' }
  }
  if (ascii(bytes, 0, 'OggS')) {
    const head = new TextDecoder('latin1').decode(bytes.slice(0, 64))
    if (head.includes('theora')) return { mime: 'video/ogg', kind: 'video', ext: 'ogv' }
    return { mime: 'audio/ogg', kind: 'audio', ext: head.includes('OpusHead') ? 'opus' : 'ogg' }
  }
  if (ascii(bytes, 0, 'fLaC')) return { mime: 'audio/flac', kind: 'audio', ext: 'flac' }
  if (ascii(bytes, 0, 'ID3') || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe6) === 0xe2)) return { mime: 'audio/mpeg', kind: 'audio', ext: 'mp3' }
  if (starts(bytes, [0xff, 0xf1]) || starts(bytes, [0xff, 0xf9])) return { mime: 'audio/aac', kind: 'audio', ext: 'aac' }
  const iso = isoBmff(bytes)
  if (iso) return iso
  if (starts(bytes, [0x50, 0x4b, 0x03, 0x04]) || starts(bytes, [0x50, 0x4b, 0x05, 0x06])) return { mime: 'application/zip', kind: 'other', ext: 'zip' }
  if (starts(bytes, [0x1f, 0x8b])) return { mime: 'application/gzip', kind: 'other', ext: 'gz' }
  if (looksLikeText(bytes, complete)) return { mime: 'text/plain; charset=utf-8', kind: 'other', ext: 'txt' }
  return OCTET
}

/** Types a browser may render in place; everything else downloads (`Content-Disposition: attachment`). */
const INLINE = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'video/mp4', 'video/webm', 'video/ogg', 'audio/mpeg', 'audio/ogg', 'audio/wav', 'audio/mp4', 'audio/aac', 'audio/flac', 'application/pdf'])

export function isInlineSafe(mime: string): boolean {
  return INLINE.has(mime)
}

/** Images sharp re-encodes on upload, which drops EXIF (GPS), XMP and IPTC. */
export const REENCODED_IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/heic'])

/**
 * A display name safe in headers and on any filesystem: no paths, control or reserved characters,
 * at most 200 bytes, with the extension of the sniffed type.
 */
export function sanitizeName(raw: string | undefined, type: Pick<SniffedType, 'ext'>): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? ''
  let name = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f<>:"|?*\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
  const dot = name.lastIndexOf('.')
  let stem = dot > 0 ? name.slice(0, dot) : name
  if (!stem) stem = 'file'
  while (new TextEncoder().encode(stem).length > 190) stem = stem.slice(0, -1)
  name = `${stem.trim()}.${type.ext}`
  return name
}
