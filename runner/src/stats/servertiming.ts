// Server-Timing header parsing: `name;dur=1.5;desc="x", other;dur=2`.

export interface ServerTimingEntry {
  name: string;
  dur: number; // ms as sent by the server
}

/** Entries without a numeric `dur` are ignored (they carry no timing). */
export function parseServerTiming(header: string): ServerTimingEntry[] {
  const out: ServerTimingEntry[] = [];
  for (const raw of header.split(',')) {
    const parts = raw.split(';');
    const name = parts[0]?.trim();
    if (!name) continue;
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i]!;
      const eq = p.indexOf('=');
      if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'dur') continue;
      let v = p.slice(eq + 1).trim();
      if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
      const dur = Number(v);
      if (v !== '' && Number.isFinite(dur) && dur >= 0) out.push({ name, dur });
      break;
    }
  }
  return out;
}
