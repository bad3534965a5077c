/** Polls `probe` until `done` holds for its value; throws with the last value after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 60_000, everyMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  let error: unknown
  for (;;) {
    try {
      last = await probe()
      if (done(last)) return last
    } catch (err) {
      error = err
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}${error ? `, last error ${error}` : ''}`,
      )
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
