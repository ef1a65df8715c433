import { BlockList, isIP } from 'node:net';

/**
 * Whether an address is on the public internet: the only kind a tenant-chosen URL (a Slack
 * webhook) may reach. Everything special-purpose in the IANA registries is refused: private,
 * loopback, link-local, CGNAT, benchmarking, documentation, multicast, reserved, unique-local.
 */

// IANA IPv4 Special-Purpose Address Registry, plus multicast (224/4) and reserved (240/4).
const V4_SPECIAL: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

// Inside global unicast (2000::/3), the IANA IPv6 special-purpose blocks: IETF protocol
// assignments (Teredo, benchmarking, ORCHID...), documentation. 2002::/16 (6to4) is judged by
// the IPv4 address it carries.
const V6_SPECIAL: Array<[string, number]> = [
  ['2001::', 23],
  ['2001:db8::', 32],
  ['3fff::', 20],
];

const v4Blocked = new BlockList();
for (const [net, prefix] of V4_SPECIAL) v4Blocked.addSubnet(net, prefix, 'ipv4');
const v6Blocked = new BlockList();
for (const [net, prefix] of V6_SPECIAL) v6Blocked.addSubnet(net, prefix, 'ipv6');
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');

/** The 16 bytes of an IPv6 address (with or without an embedded dotted quad). */
function v6Bytes(ip: string): number[] {
  let s = ip.replace(/%.*$/, '');
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const [a, b, c, d] = quad[1]!.split('.').map(Number) as [number, number, number, number];
    s = `${s.slice(0, -quad[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

const v4Of = (bytes: number[], at: number): string => bytes.slice(at, at + 4).join('.');

/** True for a public (globally routable unicast) IPv4 or IPv6 address; false for anything else. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !v4Blocked.check(ip, 'ipv4');
  if (family !== 6) return false;
  const b = v6Bytes(ip);
  const zeros = (n: number) => b.slice(0, n).every((x) => x === 0);
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
  // addresses reach the IPv4 address they carry.
  if (zeros(10) && b[10] === 0xff && b[11] === 0xff) return isPublicAddress(v4Of(b, 12));
  if (zeros(12)) return isPublicAddress(v4Of(b, 12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.slice(4, 12).every((x) => x === 0))
    return isPublicAddress(v4Of(b, 12));
  if (b[0] === 0x20 && b[1] === 0x02) return isPublicAddress(v4Of(b, 2));
  return globalUnicast.check(ip, 'ipv6') && !v6Blocked.check(ip, 'ipv6');
}

/**
 * Hosts, addresses and subnets a deployment lets webhooks reach although they are private (and
 * over plain http): a local Slack stand-in for tests and demos. Empty in production (the
 * environment schema refuses SLACK_ALLOW_PRIVATE_HOSTS there).
 */
export class PrivateHostAllowList {
  private readonly names = new Set<string>();
  private readonly nets = new BlockList();
  private size = 0;

  constructor(entries: readonly string[] = []) {
    for (const raw of entries) {
      const e = raw
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, '');
      if (!e) continue;
      this.size++;
      const [addr = '', prefix] = e.split('/');
      const family = isIP(addr);
      if (!family) this.names.add(e);
      else if (prefix !== undefined) this.nets.addSubnet(addr, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
      else this.nets.addAddress(addr, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /** A host name as written in the URL, or an address it resolved to. */
  has(hostOrAddress: string): boolean {
    const h = hostOrAddress.toLowerCase().replace(/^\[|\]$/g, '');
    const family = isIP(h);
    if (family) return this.nets.check(h, family === 4 ? 'ipv4' : 'ipv6');
    return this.names.has(h);
  }
}

/** An entry SLACK_ALLOW_PRIVATE_HOSTS cannot take, or null. */
export function allowListEntryProblem(entry: string): string | null {
  const e = entry.trim().replace(/^\[|\]$/g, '');
  const [addr = '', prefix, ...rest] = e.split('/');
  const family = isIP(addr);
  if (rest.length) return `"${entry}" is not a host, an address or a subnet`;
  if (!family) return prefix === undefined && /^[a-z0-9.-]+$/i.test(e) ? null : `"${entry}" is not a host, an address or a subnet`;
  if (prefix === undefined) return null;
  const max = family === 4 ? 32 : 128;
  return /^\d+$/.test(prefix) && Number(prefix) <= max ? null : `"${entry}": the prefix must be 0 to ${max}`;
}
