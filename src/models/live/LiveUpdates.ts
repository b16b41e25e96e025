/**
 * The in-process feed behind `/api/v1/live`: the sink publishes each merged minute after its write
 * is durable, every SSE connection subscribes. A sliding buffer per subscriber means a slow client
 * loses its oldest pending updates instead of holding up the sink (a newer update of the same
 * minute supersedes an older one anyway).
 */
import { Context, Effect, Layer, PubSub, type Scope } from "effect"
import type { KpiMinute } from "../api/Kpis.ts"

const BUFFER = 256

export interface LiveUpdatesShape {
  readonly publish: (minutes: ReadonlyArray<KpiMinute>) => Effect.Effect<void>
  /** A subscription that receives everything published after this effect ran. */
  readonly subscribe: Effect.Effect<PubSub.Subscription<KpiMinute>, never, Scope.Scope>
}

export class LiveUpdates extends Context.Service<LiveUpdates, LiveUpdatesShape>()("launchpad/models/LiveUpdates") {
  static readonly layer = Layer.effect(
    LiveUpdates,
    Effect.gen(function* () {
      const pubsub = yield* Effect.acquireRelease(PubSub.sliding<KpiMinute>(BUFFER), PubSub.shutdown)
      return LiveUpdates.of({
        publish: (minutes) => PubSub.publishAll(pubsub, minutes).pipe(Effect.asVoid),
        subscribe: PubSub.subscribe(pubsub)
      })
    })
  )
}
