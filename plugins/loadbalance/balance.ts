/**
 * Which replies loadbalance reorders, and how: NOERROR replies except to zone transfers (CoreDNS's
 * writer), every section through round_robin, then the answer and additional sections through
 * `prefer` when subnets are configured. Replies that reordering cannot change are passed on as
 * they are, so the usual reply with a single address costs a scan of its record types.
 */
import { QType, Rcode } from '../../src/wire/constants.js';
import { newMessage, type Message, type Resource } from '../../src/wire/message.js';
import type { Query } from '../../src/wire/query.js';
import { PreparedReply, replyRcode, type Reply } from '../../src/wire/reply.js';
import { addressBytes, type Subnet } from './cidr.js';
import { preferSubnets, roundRobin, settled, type Typed } from './order.js';
import { sectionTypes, toMessage } from './prepared.js';
import { addressRecords, withRecords } from './raw.js';

export interface Policy {
  /** Subnets whose addresses go first, in this order; empty for plain round_robin. */
  readonly prefer: readonly Subnet[];
  /** Uniform in [0, 1); replaced in tests. */
  readonly random: () => number;
}

type Sections<T> = [T[], T[], T[]];

function allSettled(types: readonly (readonly number[])[], prefer: boolean): boolean {
  return settled(types[0]!, prefer) && settled(types[1]!, false) && settled(types[2]!, prefer);
}

function typesOf(records: readonly Resource[]): number[] {
  // OPT is hop-by-hop: the writer replaces it, so where it sits does not matter.
  const out: number[] = [];
  for (const r of records) if (r.type !== QType.OPT) out.push(r.type);
  return out;
}

function reorder<T extends Typed>(sections: Sections<T>, policy: Policy, ipOf: (r: T) => Buffer | undefined): Sections<T> {
  const [an, ns, ar] = sections.map((s) => roundRobin(s, policy.random)) as Sections<T>;
  if (policy.prefer.length === 0) return [an, ns, ar];
  return [preferSubnets(an, policy.prefer, ipOf), ns, preferSubnets(ar, policy.prefer, ipOf)];
}

const resourceIp = (r: Resource) => addressBytes((r as { address?: string }).address ?? '');

function reorderMessage(m: Message, policy: Policy): Message {
  const out = newMessage();
  out.header = { ...m.header };
  out.questions = m.questions;
  [out.answers, out.authorities, out.additionals] = reorder([m.answers, m.authorities, m.additionals], policy, resourceIp);
  return out;
}

export function balance(reply: Reply, query: Query, policy: Policy): Reply {
  if (replyRcode(reply) !== Rcode.NOERROR) return reply;
  if (query.qtype === QType.AXFR || query.qtype === QType.IXFR) return reply;
  const prefer = policy.prefer.length > 0;

  if (reply instanceof PreparedReply) {
    if (reply.ancount + reply.nscount + reply.arcount < 2) return reply;
    const types = sectionTypes(reply);
    if (types === undefined || allSettled(types, prefer)) return reply;
    const raw = addressRecords(reply, query);
    if (raw !== undefined) return withRecords(reply, reorder(raw, policy, (r) => r.ip));
    const m = toMessage(reply, query);
    return m === undefined ? reply : reorderMessage(m, policy);
  }

  if (allSettled([typesOf(reply.answers), typesOf(reply.authorities), typesOf(reply.additionals)], prefer)) return reply;
  return reorderMessage(reply, policy);
}
