import { Observable, type OperatorFunction } from 'rxjs'

/**
 * The one template every Tributary operator follows (RxJS's own `operate` is internal): per-
 * subscription state lives in `setup`'s closure, errors and completion always travel downstream.
 */
export function operator<In, Out>(
  setup: (emit: (value: Out) => void) => (value: In) => void,
): OperatorFunction<In, Out> {
  return (source) =>
    new Observable<Out>((subscriber) => {
      const onValue = setup((v) => subscriber.next(v))
      return source.subscribe({
        next: (v) => {
          try {
            onValue(v)
          } catch (err) {
            subscriber.error(err)
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      })
    })
}
