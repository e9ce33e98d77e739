import { createSignal } from 'solid-js'
import type { ApiError } from '../api/client'

/** A form submit handler with busy and error state: what failed is shown, the form stays filled. */
export function createFormAction(work: (form: FormData) => Promise<void>) {
  const [error, setError] = createSignal<ApiError | null>(null)
  const [busy, setBusy] = createSignal(false)
  async function submit(event: SubmitEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await work(new FormData(event.currentTarget as HTMLFormElement))
    } catch (failure) {
      setError(failure as ApiError)
    } finally {
      setBusy(false)
    }
  }
  return { submit, error, busy }
}
