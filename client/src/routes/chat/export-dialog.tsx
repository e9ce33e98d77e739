import { createSignal, onCleanup, Show } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { Dialog } from '../../ui/dialog'
import { ErrorBanner } from '../../ui/parts'

/** Export the conversation's history as Markdown or JSON lines; it runs on the worker fleet, then downloads. */
export function ExportDialog(props: { conversationId: string; onClose(): void }) {
  const [format, setFormat] = createSignal<'markdown' | 'json'>('markdown')
  const [threads, setThreads] = createSignal(true)
  const [state, setState] = createSignal<{ status: string; progress: number; messageCount?: number | null; id: string } | null>(null)
  const [url, setUrl] = createSignal<string | null>(null)
  const [error, setError] = createSignal<ApiError | null>(null)
  let poll: ReturnType<typeof setInterval> | undefined
  onCleanup(() => clearInterval(poll))

  async function start() {
    setError(null)
    try {
      const created = await call(() => api.conversations({ id: props.conversationId }).exports.post({ format: format(), includeThreads: threads() }))
      setState({ id: created.id, status: created.status, progress: 0 })
      // @NOTE: progress also arrives as job.progress on the socket; polling keeps this dialog simple and exact.
      poll = setInterval(() => void check(created.id), 1000)
    } catch (failure) {
      setError(failure as ApiError)
    }
  }

  async function check(id: string) {
    try {
      const current = await call(() => api.exports({ id }).get())
      setState({ id, status: current.status, progress: current.percent, messageCount: current.messageCount })
      if (current.status === 'completed') {
        clearInterval(poll)
        setUrl((await call(() => api.exports({ id }).download.get({ query: {} }))).url)
      } else if (current.status === 'failed') {
        clearInterval(poll)
        setError({ status: 0, code: 'EXPORT_FAILED', message: current.error ?? 'The export failed' } as ApiError)
      }
    } catch (failure) {
      clearInterval(poll)
      setError(failure as ApiError)
    }
  }

  return (
    <Dialog title="Export conversation" onClose={props.onClose}>
      <ErrorBanner error={error()} />
      <Show when={!state()}>
        <div class="row" role="radiogroup" aria-label="Format">
          <label class="check"><input type="radio" name="format" checked={format() === 'markdown'} onChange={() => setFormat('markdown')} /> Markdown</label>
          <label class="check"><input type="radio" name="format" checked={format() === 'json'} onChange={() => setFormat('json')} /> JSON lines</label>
        </div>
        <label class="check"><input type="checkbox" checked={threads()} onChange={(e) => setThreads(e.currentTarget.checked)} /> Include thread replies</label>
        <div class="row end">
          <button type="button" class="secondary" onClick={() => props.onClose()}>Cancel</button>
          <button type="button" onClick={() => void start()}>Export</button>
        </div>
      </Show>
      <Show when={state()}>
        {(current) => (
          <>
            <p role="status">
              {current().status === 'completed' ? `Ready: ${current().messageCount ?? 0} messages.` : current().status === 'failed' ? 'Failed.' : `Exporting… ${current().progress}%`}
            </p>
            <progress max="100" value={current().progress} aria-label="Export progress" />
            <Show when={url()}>
              <a class="button" href={url()!} download="">Download</a>
            </Show>
          </>
        )}
      </Show>
    </Dialog>
  )
}
