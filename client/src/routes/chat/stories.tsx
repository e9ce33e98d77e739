import { useNavigate } from '@solidjs/router'
import { createEffect, createResource, createSignal, For, on, onCleanup, Show } from 'solid-js'
import type { StoryFeedEntry } from '../../../../server/src/features/stories/model'
import { api, call, type ApiError } from '../../api/client'
import { Dialog } from '../../ui/dialog'
import { ErrorBanner } from '../../ui/parts'

const STORY_SHOWN_MS = 6000
const BACKGROUNDS = ['#4f46e5', '#0f766e', '#b91c1c', '#a16207', '#1d4ed8', '#7e22ce', '#111827']

/** The 24-hour stories of people you share a workspace or conversation with: a row of avatars above the sidebar. */
export function StoriesBar(props: { me: string }) {
  const [feed, { refetch }] = createResource(() => call(() => api.stories.get()).catch(() => [] as StoryFeedEntry[]))
  const [viewing, setViewing] = createSignal<number | null>(null)
  const [creating, setCreating] = createSignal(false)
  const entries = () => {
    const list = feed() ?? []
    // Mine first, then unseen, then the rest, newest first.
    return [...list].sort((a, b) => Number(b.author.id === props.me) - Number(a.author.id === props.me) || Number(b.hasUnseen) - Number(a.hasUnseen) || new Date(b.latestAt).getTime() - new Date(a.latestAt).getTime())
  }
  const mine = () => entries().find((e) => e.author.id === props.me)
  return (
    <section class="stories-bar" aria-label="Stories">
      <ul role="list">
        <Show when={!mine()}>
          <li>
            <button type="button" class="story-avatar add" onClick={() => setCreating(true)}>
              <span class="ring" aria-hidden="true">+</span>
              {/* The name is the visible words plus one hidden "a": a name that contains what is seen (WCAG 2.5.3). */}
              <span class="story-name">Add<span class="visually-hidden"> a</span> story</span>
            </button>
          </li>
        </Show>
        <For each={entries()}>
          {(entry, index) => (
            <li>
              <button type="button" class="story-avatar" classList={{ unseen: entry.hasUnseen }} aria-label={`${entry.author.id === props.me ? 'You: ' : ''}${entry.author.displayName}'s story${entry.hasUnseen ? ', new' : ''}`} onClick={() => setViewing(index())}>
                <span class="ring" aria-hidden="true">{entry.author.displayName.slice(0, 1).toUpperCase()}</span>
                <span class="story-name">{entry.author.id === props.me ? 'You' : entry.author.displayName.split(' ')[0]}</span>
              </button>
            </li>
          )}
        </For>
      </ul>
      <Show when={viewing() !== null && entries()[viewing()!]}>
        {(entry) => (
          <StoryViewer
            entry={entry()}
            me={props.me}
            onAdd={() => { setViewing(null); setCreating(true) }}
            onClose={() => { setViewing(null); void refetch() }}
            onNextPerson={() => setViewing((i) => (i !== null && i + 1 < entries().length ? i + 1 : null))}
          />
        )}
      </Show>
      <Show when={creating()}>
        <NewStoryDialog onClose={() => setCreating(false)} onPosted={() => { setCreating(false); void refetch() }} />
      </Show>
    </section>
  )
}

function StoryViewer(props: { entry: StoryFeedEntry; me: string; onClose(): void; onNextPerson(): void; onAdd(): void }) {
  const navigate = useNavigate()
  const firstUnseen = Math.max(0, props.entry.stories.findIndex((s) => !s.seen))
  const [index, setIndex] = createSignal(firstUnseen)
  const [paused, setPaused] = createSignal(false)
  const [reply, setReply] = createSignal('')
  const [error, setError] = createSignal<ApiError | null>(null)
  const story = () => props.entry.stories[index()]
  const own = () => props.entry.author.id === props.me
  const [viewers] = createResource(() => (own() ? story()?.id : undefined), (id) => call(() => api.stories({ id }).views.get()))

  const next = () => (index() + 1 < props.entry.stories.length ? setIndex(index() + 1) : props.onNextPerson())
  createEffect(on(story, (current) => {
    if (!current) return
    if (!own() && !current.seen) void call(() => api.stories({ id: current.id }).views.post()).catch(() => undefined)
  }))
  let timer: ReturnType<typeof setTimeout> | undefined
  createEffect(on([story, paused], ([current, isPaused]) => {
    clearTimeout(timer)
    if (current && !isPaused) timer = setTimeout(next, STORY_SHOWN_MS)
  }))
  onCleanup(() => clearTimeout(timer))

  async function sendReply(event: SubmitEvent) {
    event.preventDefault()
    const text = reply().trim()
    const current = story()
    if (!text || !current) return
    try {
      const result = await call(() => api.stories({ id: current.id }).replies.post({ text }))
      props.onClose()
      navigate(`/c/${result.conversationId}`)
    } catch (failure) {
      setError(failure as ApiError)
    }
  }

  return (
    <Dialog title={`${props.entry.author.displayName}'s story`} onClose={props.onClose}>
      <div class="story-progress" aria-hidden="true">
        <For each={props.entry.stories}>{(_, i) => <span classList={{ done: i() < index(), current: i() === index() && !paused() }} style={{ '--story-ms': `${STORY_SHOWN_MS}ms` }} />}</For>
      </div>
      <Show when={story()}>
        {(current) => (
          <div class="story-card" style={{ background: current().background ?? '#111827' }} onPointerDown={() => setPaused(true)} onPointerUp={() => setPaused(false)}>
            <p>{current().text}</p>
            <time class="story-time">{new Date(current().createdAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}</time>
          </div>
        )}
      </Show>
      <ErrorBanner error={error()} />
      <div class="row spread">
        <button type="button" class="secondary small" disabled={index() === 0} onClick={() => setIndex(index() - 1)}>Previous</button>
        <button type="button" class="secondary small" onClick={() => setPaused(!paused())}>{paused() ? 'Play' : 'Pause'}</button>
        <button type="button" class="secondary small" onClick={next}>Next</button>
      </div>
      <Show when={own()} fallback={
        <form class="story-reply" onSubmit={(e) => void sendReply(e)}>
          <input placeholder={`Reply to ${props.entry.author.displayName}`} aria-label="Reply to the story" value={reply()} onInput={(e) => setReply(e.currentTarget.value)} onFocus={() => setPaused(true)} maxLength={4000} />
          <button type="submit" disabled={!reply().trim()}>Send</button>
        </form>
      }>
        <p class="muted">Seen by {viewers()?.length ?? 0}{(viewers() ?? []).length > 0 ? `: ${(viewers() ?? []).map((v) => v.user.displayName).join(', ')}` : ''}</p>
        <div class="row">
          <button type="button" class="secondary small" onClick={() => props.onAdd()}>Add another</button>
        </div>
      </Show>
    </Dialog>
  )
}

function NewStoryDialog(props: { onClose(): void; onPosted(): void }) {
  const [text, setText] = createSignal('')
  const [background, setBackground] = createSignal(BACKGROUNDS[0]!)
  const [error, setError] = createSignal<ApiError | null>(null)
  async function post(event: SubmitEvent) {
    event.preventDefault()
    try {
      await call(() => api.stories.post({ kind: 'text', text: text().trim(), background: background() }))
      props.onPosted()
    } catch (failure) {
      setError(failure as ApiError)
    }
  }
  return (
    <Dialog title="New story" onClose={props.onClose}>
      <ErrorBanner error={error()} />
      <form onSubmit={(e) => void post(e)}>
        <div class="story-card small" style={{ background: background() }}>
          <p>{text() || 'Your words here'}</p>
        </div>
        <label>
          Text <span class="muted">(visible for 24 hours)</span>
          <textarea rows={3} maxLength={700} required value={text()} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <div class="row" role="radiogroup" aria-label="Background">
          <For each={BACKGROUNDS}>
            {(colour) => <button type="button" role="radio" aria-checked={background() === colour} aria-label={`Background ${colour}`} class="swatch" style={{ background: colour }} onClick={() => setBackground(colour)} />}
          </For>
        </div>
        <div class="row end">
          <button type="button" class="secondary" onClick={() => props.onClose()}>Cancel</button>
          <button type="submit" disabled={!text().trim()}>Share story</button>
        </div>
      </form>
    </Dialog>
  )
}
