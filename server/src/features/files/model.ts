import { t } from 'elysia'
import { Iso, NullableIso, strict } from '../../http/schemas'

const Id = t.String({ minLength: 1, maxLength: 64 })

/** Names of derived objects a signed URL can point at, beside `original`. */
export const THUMBNAIL_SIZES = [160, 320, 640] as const
export const VARIANTS = ['original', ...THUMBNAIL_SIZES.map((size) => `thumb-${size}`), 'poster', 'rendition'] as const
export type VariantName = (typeof VARIANTS)[number]

export const FileVariantView = t.Object({ mime: t.String(), size: t.Number(), width: t.Optional(t.Number()), height: t.Optional(t.Number()) })

export const FileView = t.Object(
  {
    id: t.String(),
    ownerId: t.String(),
    name: t.String({ description: 'Sanitised; its extension follows the detected type' }),
    mime: t.String({ description: 'Detected from the first bytes, never taken from the client' }),
    kind: t.Union([t.Literal('image'), t.Literal('video'), t.Literal('audio'), t.Literal('other')]),
    voice: t.Boolean(),
    status: t.Union([t.Literal('uploading'), t.Literal('ready')]),
    size: t.Number({ description: 'Bytes stored (the declared total while uploading)' }),
    uploadOffset: t.Number(),
    processing: t.Union([t.Literal('none'), t.Literal('pending'), t.Literal('done'), t.Literal('failed')], { description: 'Thumbnails, poster, rendition and waveform made by the media job' }),
    width: t.Union([t.Number(), t.Null()]),
    height: t.Union([t.Number(), t.Null()]),
    durationMs: t.Union([t.Number(), t.Null()]),
    waveform: t.Union([t.Array(t.Number()), t.Null()], { description: 'Voice messages: peak levels 0–1' }),
    variants: t.Record(t.String(), FileVariantView, { description: 'Derived objects by name (thumb-160, thumb-320, thumb-640, poster, rendition)' }),
    createdAt: Iso,
    completedAt: NullableIso,
    expiresAt: NullableIso,
  },
  { title: 'File' },
)
export type FileViewType = typeof FileView.static

export const FileParams = t.Object({ id: Id })

const FileName = t.String({ minLength: 1, maxLength: 255, description: 'The file name as the user sees it; sanitised by the server' })

export const SimpleUploadQuery = t.Object({
  name: t.Optional(FileName),
  voice: t.Optional(t.BooleanString({ description: 'A voice message: the media job adds a waveform' })),
})

export const CreateUploadBody = t.Object(
  {
    name: FileName,
    size: t.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Total bytes the upload will carry' }),
    voice: t.Optional(t.Boolean()),
  },
  strict,
)

export const UploadCreated = t.Object(
  {
    id: t.String(),
    offset: t.Number(),
    size: t.Number(),
    chunkMaxBytes: t.Number({ description: 'The largest PATCH body accepted' }),
    expiresAt: Iso,
  },
  { title: 'UploadCreated' },
)

export const UploadState = t.Object({ offset: t.Number({ description: 'Bytes received so far' }), size: t.Number(), expiresAt: NullableIso }, { title: 'UploadState' })

export const ChunkHeaders = t.Object({
  'upload-offset': t.Numeric({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Where this chunk starts; must equal the current offset' }),
})

export const UrlQuery = t.Object({ variant: t.Optional(t.Union(VARIANTS.map((v) => t.Literal(v)), { description: 'Which object: original (default), a thumbnail, poster or rendition' })) })

export const SignedUrl = t.Object({ url: t.String({ description: 'Relative to the API origin; works without a bearer token until it expires' }), expiresAt: Iso }, { title: 'SignedUrl' })

export const ContentQuery = t.Object({
  variant: t.Union(VARIANTS.map((v) => t.Literal(v))),
  u: Id,
  exp: t.Numeric({ minimum: 0, maximum: 1e11 }),
  sig: t.String({ minLength: 1, maxLength: 128 }),
})
