import { createResource, For, Match, Show, Switch } from 'solid-js'
import { api, call } from '../../api/client'

const sizeLabel = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`)

/** A message's files: image thumbnails, playable audio/video, and download links for the rest. */
export function Attachments(props: { fileIds: string[] }) {
  return (
    <Show when={props.fileIds.length > 0}>
      <div class="attachments">
        <For each={props.fileIds}>{(id) => <Attachment id={id} />}</For>
      </div>
    </Show>
  )
}

function Attachment(props: { id: string }) {
  const [file] = createResource(() => props.id, (id) => call(() => api.files({ id }).get()))
  // Thumbnails appear once the media job made them; until then the original is shown.
  const [preview] = createResource(file, (meta) => {
    const variant = meta.kind === 'image' ? ('thumb-320' in meta.variants ? 'thumb-320' : 'original') : meta.kind === 'video' ? ('rendition' in meta.variants ? 'rendition' : 'original') : 'original'
    return call(() => api.files({ id: meta.id }).url.get({ query: { variant } }))
  })
  async function download() {
    const link = await call(() => api.files({ id: props.id }).url.get({ query: {} }))
    window.open(link.url, '_blank', 'noopener')
  }
  return (
    <Show when={file()} fallback={<span class="attachment-file muted">{file.error ? 'File unavailable' : 'Loading file…'}</span>}>
      {(meta) => (
        <Switch fallback={
          <button type="button" class="attachment-file" onClick={() => void download()}>
            📄 {meta().name} <span class="muted">{sizeLabel(meta().size)}</span>
          </button>
        }>
          <Match when={meta().kind === 'image' && preview()}>
            <a class="attachment-image" href="#" onClick={(e) => { e.preventDefault(); void download() }}>
              <img src={preview()!.url} alt={meta().name} loading="lazy" width={meta().width ?? undefined} height={meta().height ?? undefined} />
            </a>
          </Match>
          <Match when={meta().kind === 'video' && preview()}>
            <video src={preview()!.url} controls preload="metadata" aria-label={meta().name} />
          </Match>
          <Match when={meta().kind === 'audio' && preview()}>
            <audio src={preview()!.url} controls preload="metadata" aria-label={meta().name} />
          </Match>
        </Switch>
      )}
    </Show>
  )
}
