import { Show, type JSX } from 'solid-js'
import type { ApiError } from '../api/client'

export function Brand() {
  return (
    <div class="brand">
      <img src="/favicon.svg" alt="" />
      <span>Parley</span>
    </div>
  )
}

export function AuthCard(props: { title: string; subtitle?: string; children: JSX.Element; wide?: boolean }) {
  return (
    <main class="center">
      <section class={props.wide ? 'card wide' : 'card'} aria-labelledby="page-title">
        <Brand />
        <h1 id="page-title">{props.title}</h1>
        <Show when={props.subtitle}>
          <p class="sub">{props.subtitle}</p>
        </Show>
        {props.children}
      </section>
    </main>
  )
}

/** Shows what failed, and a retry when the caller can offer one. */
export function ErrorBanner(props: { error: ApiError | null; onRetry?: () => void }) {
  return (
    <Show when={props.error}>
      {(error) => (
        <div class="alert" role="alert">
          <span>{error().message}</span>
          <Show when={props.onRetry}>
            <button type="button" class="secondary" onClick={() => props.onRetry?.()}>
              Retry
            </button>
          </Show>
        </div>
      )}
    </Show>
  )
}

export function Notice(props: { children: JSX.Element }) {
  return (
    <div class="alert ok" role="status">
      {props.children}
    </div>
  )
}
