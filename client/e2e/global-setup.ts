import { startStack } from './stack'

/** Starts redis and the API once for the whole run; the URL reaches the workers through the environment. */
export default async function globalSetup(): Promise<void> {
  await startStack()
}
