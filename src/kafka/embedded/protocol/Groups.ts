/**
 * Consumer-group APIs (the coordinator state machine lives in GroupCoordinator.ts).
 *
 * FindCoordinator Request (v0-2) => key key_type(v1+)
 * FindCoordinator Response (v0-2) => throttle_time_ms(v1+) error_code error_message(v1+) node_id host port
 *
 * JoinGroup Request (v0-5) => group_id session_timeout rebalance_timeout(v1+) member_id
 *   group_instance_id(v5+) protocol_type [protocol_name protocol_metadata]
 * JoinGroup Response (v0-5) => throttle_time_ms(v2+) error_code generation_id protocol_name leader
 *   member_id [member_id group_instance_id(v5+) metadata]
 *
 * SyncGroup Request (v0-3) => group_id generation_id member_id group_instance_id(v3+) [member_id assignment]
 * SyncGroup Response (v0-3) => throttle_time_ms(v1+) error_code assignment
 *
 * Heartbeat Request (v0-3) => group_id generation_id member_id group_instance_id(v3+)
 * Heartbeat Response (v0-3) => throttle_time_ms(v1+) error_code
 *
 * LeaveGroup Request (v0-1) => group_id member_id
 * LeaveGroup Response (v0-1) => throttle_time_ms(v1+) error_code
 *
 * DescribeGroups Request (v0-2) => [group_id]
 * DescribeGroups Response (v0-2) => throttle_time_ms(v1+) [error_code group_id state protocol_type
 *   protocol [member_id client_id client_host member_metadata member_assignment]]
 *
 * ListGroups Request (v0-2) => (empty)
 * ListGroups Response (v0-2) => throttle_time_ms(v1+) error_code [group_id protocol_type]
 */
import type {
  DescribedGroup,
  JoinGroupRequest,
  JoinGroupResult,
  ListedGroup,
  SyncGroupRequest
} from "../GroupCoordinator.ts"
import type { BrokerNode } from "./Metadata.ts"
import type { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"

export const decodeFindCoordinatorRequest = (r: Reader, version: number): { key: string; keyType: number } => ({
  key: r.string(),
  keyType: version >= 1 ? r.int8() : 0
})

export const encodeFindCoordinatorResponse = (
  w: Writer,
  version: number,
  errorCode: number,
  node: BrokerNode
): void => {
  if (version >= 1) w.int32(0)
  w.int16(errorCode)
  if (version >= 1) w.nullableString(null)
  w.int32(node.nodeId).string(node.host).int32(node.port)
}

export const decodeJoinGroupRequest = (
  r: Reader,
  version: number,
  clientId: string,
  clientHost: string
): JoinGroupRequest => {
  const groupId = r.string()
  const sessionTimeoutMs = r.int32()
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : sessionTimeoutMs
  const memberId = r.string()
  const groupInstanceId = version >= 5 ? r.nullableString() : null
  const protocolType = r.string()
  const protocols = r.array((r) => ({ name: r.string(), metadata: r.bytes() }))
  return {
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    memberId,
    groupInstanceId,
    protocolType,
    protocols,
    clientId,
    clientHost
  }
}

export const encodeJoinGroupResponse = (w: Writer, version: number, res: JoinGroupResult): void => {
  if (version >= 2) w.int32(0)
  w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId)
  w.array(res.members, (w, m) => {
    w.string(m.memberId)
    if (version >= 5) w.nullableString(m.groupInstanceId)
    w.bytes(m.metadata)
  })
}

export const decodeSyncGroupRequest = (r: Reader, version: number): SyncGroupRequest => {
  const groupId = r.string()
  const generationId = r.int32()
  const memberId = r.string()
  if (version >= 3) r.nullableString()
  return {
    groupId,
    generationId,
    memberId,
    assignments: r.array((r) => ({ memberId: r.string(), assignment: r.bytes() }))
  }
}

export const encodeSyncGroupResponse = (
  w: Writer,
  version: number,
  errorCode: number,
  assignment: Uint8Array
): void => {
  if (version >= 1) w.int32(0)
  w.int16(errorCode).bytes(assignment)
}

export const decodeHeartbeatRequest = (
  r: Reader,
  version: number
): { groupId: string; generationId: number; memberId: string } => {
  const groupId = r.string()
  const generationId = r.int32()
  const memberId = r.string()
  if (version >= 3) r.nullableString()
  return { groupId, generationId, memberId }
}

/** Heartbeat and LeaveGroup share this response shape. */
export const encodeErrorOnlyResponse = (w: Writer, version: number, errorCode: number): void => {
  if (version >= 1) w.int32(0)
  w.int16(errorCode)
}

export const decodeLeaveGroupRequest = (r: Reader): { groupId: string; memberIds: Array<string> } => ({
  groupId: r.string(),
  memberIds: [r.string()]
})

export const decodeDescribeGroupsRequest = (r: Reader): Array<string> => r.array((r) => r.string())

export const encodeDescribeGroupsResponse = (
  w: Writer,
  version: number,
  groups: ReadonlyArray<DescribedGroup>
): void => {
  if (version >= 1) w.int32(0)
  w.array(groups, (w, g) => {
    w.int16(g.errorCode).string(g.groupId).string(g.state).string(g.protocolType).string(g.protocol)
    w.array(g.members, (w, m) => {
      w.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment)
    })
  })
}

export const encodeListGroupsResponse = (w: Writer, version: number, groups: ReadonlyArray<ListedGroup>): void => {
  if (version >= 1) w.int32(0)
  w.int16(0)
  w.array(groups, (w, g) => {
    w.string(g.groupId).string(g.protocolType)
  })
}
