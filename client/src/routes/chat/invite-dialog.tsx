import { createSignal, Show } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { Dialog } from '../../ui/dialog'
import { ErrorBanner, Notice } from '../../ui/parts'

/** Invite people to a workspace: by email (a single-use mailed link) or with a shareable link. */
export function InviteDialog(props: { workspaceId: string; workspaceName: string; onClose(): void }) {
  const [error, setError] = createSignal<ApiError | null>(null)
  const [sent, setSent] = createSignal<string | null>(null)
  const [link, setLink] = createSignal<string | null>(null)
  const [copied, setCopied] = createSignal(false)

  async function run(work: () => Promise<void>) {
    setError(null)
    try {
      await work()
    } catch (failure) {
      setError(failure as ApiError)
    }
  }

  return (
    <Dialog title={`Invite people to ${props.workspaceName}`} onClose={props.onClose}>
      <ErrorBanner error={error()} />
      <Show when={sent()}>
        <Notice>Invitation sent to {sent()}.</Notice>
      </Show>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          const form = e.currentTarget
          const email = String(new FormData(form).get('email')).trim()
          void run(async () => {
            await call(() => api.workspaces({ id: props.workspaceId }).invites.post({ kind: 'email', email }))
            setSent(email)
            form.reset()
          })
        }}
      >
        <label>
          Email address
          <input type="email" name="email" required autocomplete="off" />
        </label>
        <div class="row end">
          <button type="submit">Send invitation</button>
        </div>
      </form>
      <div class="divider">or</div>
      <Show
        when={link()}
        fallback={
          <button type="button" class="secondary" onClick={() => void run(async () => { setLink((await call(() => api.workspaces({ id: props.workspaceId }).invites.post({ kind: 'link', expiresInHours: 168 }))).joinUrl ?? null) })}>
            Create an invite link (valid 7 days)
          </button>
        }
      >
        <label>
          Invite link
          <input readonly value={link()!} onFocus={(e) => e.currentTarget.select()} />
        </label>
        <button type="button" class="secondary" onClick={() => void navigator.clipboard?.writeText(link()!).then(() => setCopied(true))}>
          {copied() ? 'Copied' : 'Copy link'}
        </button>
      </Show>
    </Dialog>
  )
}
