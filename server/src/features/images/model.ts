import { t, type Static } from 'elysia'
import { Iso, NullableIso } from '../../http/schemas'

const Id = t.String({ minLength: 1, maxLength: 64 })
const Format = t.Union([t.Literal('original'), t.Literal('square'), t.Literal('portrait'), t.Literal('story'), t.Literal('landscape')])

export const MAX_IMAGES_PER_JOB = 10

export const CreateImageJobBody = t.Object(
  {
    operation: t.Union([t.Literal('remove-background'), t.Literal('enhance')], { description: '`remove-background`: PNG with alpha (+ variants on `background` and `backgroundFileId`); `enhance`: auto-level, denoise, sharpen, resize' }),
    fileIds: t.Array(Id, { minItems: 1, maxItems: MAX_IMAGES_PER_JOB, uniqueItems: true, description: 'Your uploaded images (files of kind image, ready)' }),
    background: t.Optional(t.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'remove-background: also composite onto this colour' })),
    backgroundFileId: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'remove-background: also composite onto this uploaded image of yours (cropped to cover)' })),
    normalize: t.Optional(t.Boolean({ description: 'enhance: auto-level (default true)' })),
    denoise: t.Optional(t.Union([t.Literal(0), t.Literal(3), t.Literal(5)], { description: 'enhance: median filter size, 0 = off (default 3)' })),
    sharpen: t.Optional(t.Boolean({ description: 'enhance: sharpen (default true)' })),
    formats: t.Optional(t.Array(Format, { minItems: 1, maxItems: 5, uniqueItems: true, description: 'enhance: square 1080×1080, portrait 1080×1350, story 1080×1920, landscape 1200×630, original (default [original])' })),
  },
  { additionalProperties: false },
)
export type CreateImageJobBody = Static<typeof CreateImageJobBody>

export const ImageJobParams = t.Object({ id: Id })
export const ImageOutputParams = t.Object({ id: Id, index: t.Numeric({ minimum: 0, maximum: 1000 }) })

export const ImageOutputView = t.Object({
  index: t.Integer(),
  input: t.Integer({ description: 'Index into fileIds' }),
  name: t.String(),
  mime: t.String(),
  size: t.Integer(),
  width: t.Integer(),
  height: t.Integer(),
  url: t.String({ description: 'Download path (same bearer token)' }),
})

export const ImageJobView = t.Object({
  id: t.String(),
  operation: t.String(),
  status: t.Union([t.Literal('queued'), t.Literal('active'), t.Literal('completed'), t.Literal('failed')]),
  percent: t.Integer({ minimum: 0, maximum: 100 }),
  stage: t.String(),
  fileIds: t.Array(t.String()),
  outputs: t.Array(ImageOutputView),
  archiveUrl: t.Union([t.String(), t.Null()], { description: 'All outputs as one zip, once completed' }),
  error: t.Union([t.String(), t.Null()]),
  createdAt: Iso,
  completedAt: NullableIso,
})
export type ImageJobView = Static<typeof ImageJobView>
