/// <reference lib="webworker" />
import { removeBackground } from '@imgly/background-removal-node'

/**
 * Runs background removal off the owner's event loop: onnxruntime's inference blocks the thread
 * that calls it for seconds, which would starve BullMQ's lock renewal in the worker process.
 * One message in (`{ id, png }`), one out (`{ id, png }` or `{ id, error }`); the model stays loaded.
 */
declare const self: Worker

self.onmessage = async (event: MessageEvent<{ id: number; png: ArrayBuffer }>) => {
  const { id, png } = event.data
  try {
    const blob = await removeBackground(new Blob([png], { type: 'image/png' }), { model: 'medium', output: { format: 'image/png' } })
    const out = await blob.arrayBuffer()
    self.postMessage({ id, png: out }, [out])
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) })
  }
}
