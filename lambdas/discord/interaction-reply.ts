import { randomBytes } from 'node:crypto';
import type {
  APIInteractionResponseCallbackData,
  RESTPatchAPIWebhookWithTokenMessageJSONBody,
} from 'discord-api-types/v10';
import { NO_MENTIONS } from './text';

/** A file sent with a reply (the /price chart). */
export interface ReplyFile {
  name: string;
  contentType: string;
  data: Uint8Array;
}

/** What a command answers: the message, whether only the caller sees it, and files to attach. */
export interface CommandReply {
  data: APIInteractionResponseCallbackData;
  ephemeral: boolean;
  /** Sent by editing the original response after it (interaction HTTP responses cannot carry files). */
  files?: ReplyFile[];
  /** Files were left out (CommandDeps.attachments 'later'): the worker edits them in. */
  attachmentsToFollow?: boolean;
  /**
   * This command cannot be finished here (the endpoint has no feed probe: a fetch may outlast its
   * 3 s): answer "thinking…" and hand the whole command to the worker.
   */
  deferToWorker?: boolean;
}

/** An edit of the original interaction response (PATCH .../messages/@original), with optional files. */
export interface FollowUpMessage {
  data: RESTPatchAPIWebhookWithTokenMessageJSONBody;
  files?: ReplyFile[];
}

/**
 * Completes a reply after the HTTP response: PATCH /webhooks/{applicationId}/{token}/messages/@original.
 * Pluggable (fetch against the API base in production, a printer locally, a recorder in tests).
 */
export type FollowUp = (applicationId: string, token: string, message: FollowUpMessage) => Promise<void>;

/** A FollowUp failed and the interaction token ends before another attempt could start: nothing can help now. */
export class TokenExpiringError extends Error {
  override readonly name = 'TokenExpiringError';
}

/**
 * The edit that completes a reply: its text, and when it has files, their attachments list and the
 * first image shown in the first embed (`attachment://<name>`).
 */
export function followUpFor(reply: CommandReply): FollowUpMessage {
  const { flags: _flags, ...rest } = reply.data;
  const files = reply.files ?? [];
  const data: RESTPatchAPIWebhookWithTokenMessageJSONBody = { ...rest, allowed_mentions: NO_MENTIONS };
  if (files.length) {
    data.attachments = files.map((f, i) => ({ id: String(i), filename: f.name }));
    const image = files.find((f) => f.contentType.startsWith('image/'));
    const [first, ...others] = rest.embeds ?? [];
    if (image && first) data.embeds = [{ ...first, image: { url: `attachment://${image.name}` } }, ...others];
  }
  return files.length ? { data, files } : { data };
}

/**
 * multipart/form-data as Discord takes files: `payload_json` (the JSON body) and `files[n]`.
 * Built by hand so the interactions bundle needs no form-data library.
 */
export function encodeMultipart(json: unknown, files: ReplyFile[]): { contentType: string; body: Buffer } {
  const boundary = `goxwatch-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  const head = (disposition: string, type: string) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: ${type}\r\n\r\n`);
  parts.push(head('form-data; name="payload_json"', 'application/json'));
  parts.push(Buffer.from(JSON.stringify(json)), Buffer.from('\r\n'));
  files.forEach((f, i) => {
    // Filenames are ours (chart.png); quotes and line breaks are still refused to keep the header intact.
    const name = f.name.replace(/["\r\n]/g, '_');
    parts.push(head(`form-data; name="files[${i}]"; filename="${name}"`, f.contentType));
    parts.push(Buffer.from(f.data), Buffer.from('\r\n'));
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts) };
}
