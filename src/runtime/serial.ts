/** Runs tasks one at a time, in call order: batches and timed checkpoints never interleave. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve()
  private running = 0

  get busy(): boolean {
    return this.running > 0
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.running++
    const result = this.tail.then(task)
    this.tail = result.then(
      () => this.running--,
      () => this.running--,
    )
    return result
  }
}
