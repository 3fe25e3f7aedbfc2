import net from 'node:net';

/** Benchmarks only ever target this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h === 'localhost.') return true;
  if (h.startsWith('::ffff:')) h = h.slice(7); // IPv4-mapped
  if (net.isIPv4(h)) return h.split('.')[0] === '127';
  if (net.isIPv6(h)) return /^(0{0,4}:){2,7}0{0,3}1$/.test(h) || h === '::1';
  return false;
}

export function assertLoopbackHost(host: string): void {
  if (!isLoopbackHost(host))
    throw new Error(`refusing non-loopback host ${JSON.stringify(host)}: benchmarks target 127.0.0.1 / ::1 only`);
}
