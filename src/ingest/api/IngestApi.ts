/**
 * The ingest HTTP API contract. One definition gives the server (`IngestServer`), the typed client
 * (`HttpApiClient.make(IngestApi)`), `/openapi.json` and the docs UI at `/docs`.
 */
import { HttpApi, OpenApi } from "effect/http-api"
import { EventsApi } from "./Events.ts"
import { HealthApi } from "./Health.ts"
import { SchemasApi } from "./Schemas.ts"

export class IngestApi extends HttpApi.make("launchpad-ingest")
  .add(EventsApi)
  .add(HealthApi)
  .add(SchemasApi)
  .annotateMerge(
    OpenApi.annotations({
      title: "Launchpad ingest API",
      description:
        "Schema-validated event ingestion into Kafka. A 200 means every event is durably in events_raw (accepted) " +
        "or events_deadletter (rejected), with a result per event. 503 (with Retry-After) means nothing was " +
        "acknowledged: retry the whole request with the same event_ids."
    })
  ) {}
