/** A tiny fetch wrapper for conformance checks: every call is bounded by a timeout. */
export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function call(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: string | Uint8Array | ReadableStream<Uint8Array>; contentType?: string | null; timeoutMs?: number } = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined && init.contentType !== null) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(new URL(path, baseUrl), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body,
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
    // Needed for streamed (chunked) request bodies.
    ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as unknown,
  };
}

export const postJson = (baseUrl: string, path: string, body: unknown) =>
  call(baseUrl, path, { body: JSON.stringify(body) });
