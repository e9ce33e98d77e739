import { useNavigate, useParams } from '@solidjs/router'
import { createResource, createSignal, onMount, Show } from 'solid-js'
import { api, call, type ApiError } from '../api/client'
import { session } from '../api/session'
import { AuthCard, ErrorBanner } from '../ui/parts'

/** An invite link (`/join/:code`): shows the workspace, joins it, opens it. Signs in first when needed. */
export default function Join() {
  const params = useParams<{ code: string }>()
  const navigate = useNavigate()
  const [error, setError] = createSignal<ApiError | null>(null)
  const [busy, setBusy] = createSignal(false)
  onMount(() => {
    if (!session()) navigate(`/login?next=${encodeURIComponent(`/join/${params.code}`)}`, { replace: true })
  })
  const [invite] = createResource(() => (session() ? params.code : null), (code) => call(() => api.invites({ code }).get()))

  async function accept() {
    setError(null)
    setBusy(true)
    try {
      const reply = await call(() => api.invites({ code: params.code }).accept.post())
      localStorage.setItem('parley.workspace', reply.workspace.id)
      navigate('/', { replace: true })
    } catch (failure) {
      setError(failure as ApiError)
    } finally {
      setBusy(false)
    }
  }

  return (
    <AuthCard title={invite() ? `Join ${invite()!.workspace.name}` : 'Join a workspace'} subtitle={invite() ? `You are invited as ${invite()!.role}.` : undefined}>
      <ErrorBanner error={error() ?? ((invite.error as ApiError | undefined) ?? null)} />
      <Show when={invite()}>
        {(preview) => (
          <Show when={!preview().alreadyMember} fallback={<button type="button" onClick={() => { localStorage.setItem('parley.workspace', preview().workspace.id); navigate('/') }}>You are already a member — open it</button>}>
            <button type="button" disabled={busy()} onClick={() => void accept()}>
              Join workspace
            </button>
          </Show>
        )}
      </Show>
    </AuthCard>
  )
}
