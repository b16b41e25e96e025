/**
 * Topics on disk under `<dataDir>/broker/`:
 *   topics/<topic>/topic.json      { name, partitions, configs }
 *   topics/<topic>/<partition>/    segments of one partition (see Segment.ts)
 *   producer-ids                   next idempotent producer id, so restarts never reuse one
 * Metadata files are written to a temporary name, fsynced and renamed, so a crash leaves either
 * the old or the new file.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { writeFileAtomicSync } from "../../../platform/DurableFiles.ts"
import { type PartitionConfig, PartitionLog } from "./PartitionLog.ts"

export interface Topic {
  readonly name: string
  readonly configs: Readonly<Record<string, string>>
  readonly partitions: ReadonlyArray<PartitionLog>
}

/** Kafka's legal topic names; also safe as directory names. */
export const isValidTopicName = (name: string): boolean =>
  name.length > 0 && name.length <= 249 && name !== "." && name !== ".." && /^[A-Za-z0-9._-]+$/.test(name)

const TopicMeta = Schema.fromJsonString(
  Schema.Struct({
    name: Schema.String,
    partitions: Schema.Int,
    configs: Schema.Record(Schema.String, Schema.String)
  })
)
const decodeMeta = Schema.decodeUnknownSync(TopicMeta)
const encodeMeta = Schema.encodeSync(TopicMeta)

/** '~' cannot appear in a topic name, so a half-deleted directory never shadows a topic. */
const DELETED_PREFIX = "~deleted~"

const writeAtomic = (file: string, data: string): void => writeFileAtomicSync(file, `${file}.tmp`, data)

export class TopicStore {
  private readonly root: string
  private readonly topicsDir: string
  private readonly config: PartitionConfig
  readonly topics = new Map<string, Topic>()
  private nextProducerId: number

  constructor(brokerDir: string, config: PartitionConfig) {
    this.root = brokerDir
    this.topicsDir = path.join(brokerDir, "topics")
    this.config = config
    fs.mkdirSync(this.topicsDir, { recursive: true })
    const idFile = path.join(brokerDir, "producer-ids")
    this.nextProducerId = fs.existsSync(idFile) ? Number(fs.readFileSync(idFile, "utf8").trim()) || 0 : 0
    for (const name of fs.readdirSync(this.topicsDir)) {
      const meta = path.join(this.topicsDir, name, "topic.json")
      if (name.startsWith(DELETED_PREFIX)) fs.rmSync(path.join(this.topicsDir, name), { recursive: true, force: true })
      else if (fs.existsSync(meta)) this.load(name, meta)
    }
  }

  private load(name: string, metaFile: string): void {
    const meta = decodeMeta(fs.readFileSync(metaFile, "utf8"))
    const partitions: Array<PartitionLog> = []
    for (let p = 0; p < meta.partitions; p++) {
      partitions.push(PartitionLog.open(name, p, path.join(this.topicsDir, name, String(p)), this.config))
    }
    this.topics.set(name, { name, configs: meta.configs, partitions })
  }

  create(name: string, partitions: number, configs: Readonly<Record<string, string>>): Topic {
    const dir = path.join(this.topicsDir, name)
    fs.mkdirSync(dir, { recursive: true })
    const logs: Array<PartitionLog> = []
    for (let p = 0; p < partitions; p++) logs.push(PartitionLog.open(name, p, path.join(dir, String(p)), this.config))
    writeAtomic(path.join(dir, "topic.json"), encodeMeta({ name, partitions, configs }))
    const topic: Topic = { name, configs, partitions: logs }
    this.topics.set(name, topic)
    return topic
  }

  /** Removes the topic from service at once; its files go after the logs are closed. */
  async delete(name: string): Promise<boolean> {
    const topic = this.topics.get(name)
    if (topic === undefined) return false
    this.topics.delete(name)
    await Promise.all(topic.partitions.map((p) => p.close()))
    const dir = path.join(this.topicsDir, name)
    const doomed = path.join(this.topicsDir, `${DELETED_PREFIX}${Date.now()}~${name}`)
    fs.renameSync(dir, doomed)
    fs.rmSync(doomed, { recursive: true, force: true })
    return true
  }

  /** Allocates a producer id; the next one is persisted first, so a restart never hands it out again. */
  allocateProducerId(): number {
    const id = this.nextProducerId
    this.nextProducerId = id + 1
    writeAtomic(path.join(this.root, "producer-ids"), String(this.nextProducerId))
    return id
  }

  async close(): Promise<void> {
    await Promise.all([...this.topics.values()].flatMap((t) => t.partitions.map((p) => p.close())))
  }
}
