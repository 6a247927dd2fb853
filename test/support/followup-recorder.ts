import { startLoopbackServer } from '../../testkit/loopback';

/** One edit of an original interaction response, as the loopback Discord received it. */
export interface RecordedEdit {
  applicationId: string;
  token: string;
  contentType: string;
  /** payload_json (multipart) or the JSON body. */
  payload: Record<string, unknown>;
  files: { field: string; name: string; type: string; data: Buffer }[];
}

export interface FollowUpRecorder {
  /** Give to createFetchFollowUp as apiBase. */
  apiBase: string;
  edits: RecordedEdit[];
  /** Resolves when the edit count reaches `count` (an event, not a polling loop). */
  editsReach(count: number): Promise<RecordedEdit[]>;
  close(): Promise<void>;
}

/**
 * A loopback Discord for interaction follow-ups: PATCH /api/v10/webhooks/{app}/{token}/messages/@original
 * with JSON or multipart/form-data (payload_json + files[n]), answered like Discord (200 + a message).
 * Webhook routes take no Authorization header; one that carries a bot token is refused, as a leak check.
 */
export async function startFollowUpRecorder(): Promise<FollowUpRecorder> {
  const edits: RecordedEdit[] = [];
  const waiters = new Set<() => void>();
  const server = await startLoopbackServer(async (req, res, body) => {
    const match = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(req.url ?? '');
    if (req.method !== 'PATCH' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"404: Not Found","code":0}');
      return;
    }
    if (req.headers.authorization) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"message":"webhook routes take no auth"}');
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    let payload: Record<string, unknown>;
    const files: RecordedEdit['files'] = [];
    if (contentType.startsWith('multipart/form-data')) {
      // Parsed by undici's own form-data reader (fetch's Response), not by our encoder's counterpart.
      const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
      payload = JSON.parse(String(form.get('payload_json') ?? '{}')) as Record<string, unknown>;
      for (const [field, value] of form.entries()) {
        if (!field.startsWith('files[') || typeof value === 'string') continue;
        files.push({
          field,
          name: value.name,
          type: value.type,
          data: Buffer.from(await value.arrayBuffer()),
        });
      }
    } else {
      payload = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    }
    edits.push({
      applicationId: match[1] ?? '',
      token: decodeURIComponent(match[2] ?? ''),
      contentType,
      payload,
      files,
    });
    for (const w of [...waiters]) w();
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id: String(edits.length), ...payload }));
  });
  const editsReach = (count: number) =>
    new Promise<RecordedEdit[]>((resolve) => {
      const check = () => {
        if (edits.length < count) return;
        waiters.delete(check);
        resolve(edits);
      };
      waiters.add(check);
      check();
    });
  return { apiBase: `${server.baseUrl}/api`, edits, editsReach, close: server.close };
}
