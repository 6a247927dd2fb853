/** The loopback Discord's payload checks: Discord's limits, answered like Discord (400, code 50035). */

// --- Discord's payload limits, answered like Discord: 400, code 50035, nested `errors` ---------------

type FormErrors = { [key: string]: FormErrors | { code: string; message: string }[] };

function maxLength(errors: FormErrors, path: (string | number)[], value: unknown, max: number): number {
  const len = typeof value === 'string' ? Array.from(value).length : Array.isArray(value) ? value.length : 0;
  if (len > max) addError(errors, path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
  return typeof value === 'string' ? Array.from(value).length : 0;
}

function addError(errors: FormErrors, path: (string | number)[], code: string, message: string): void {
  let node: FormErrors = errors;
  for (const key of path) {
    const next = node[String(key)];
    node = (next && !Array.isArray(next) ? next : (node[String(key)] = {})) as FormErrors;
  }
  const list = (node._errors as { code: string; message: string }[] | undefined) ?? [];
  list.push({ code, message });
  node._errors = list;
}

export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function validateMessage(
  body: unknown,
  opts: { allowEmpty?: boolean } = {},
): Record<string, unknown> | undefined {
  const p = asRecord(body);
  const errors: FormErrors = {};
  maxLength(errors, ['content'], p.content, 2000);
  if (p.nonce !== undefined) maxLength(errors, ['nonce'], p.nonce, 25);
  const embeds = Array.isArray(p.embeds) ? p.embeds : [];
  maxLength(errors, ['embeds'], embeds, 10);
  let total = 0;
  embeds.forEach((raw, i) => {
    const e = asRecord(raw);
    total += maxLength(errors, ['embeds', i, 'title'], e.title, 256);
    total += maxLength(errors, ['embeds', i, 'description'], e.description, 4096);
    total += maxLength(errors, ['embeds', i, 'author', 'name'], asRecord(e.author).name, 256);
    total += maxLength(errors, ['embeds', i, 'footer', 'text'], asRecord(e.footer).text, 2048);
    const fields = Array.isArray(e.fields) ? e.fields : [];
    maxLength(errors, ['embeds', i, 'fields'], fields, 25);
    fields.forEach((rawField, j) => {
      const f = asRecord(rawField);
      total += maxLength(errors, ['embeds', i, 'fields', j, 'name'], f.name, 256);
      total += maxLength(errors, ['embeds', i, 'fields', j, 'value'], f.value, 1024);
    });
  });
  if (total > 6000)
    addError(errors, ['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
  if (Object.keys(errors).length) return { message: 'Invalid Form Body', code: 50035, errors };
  const empty = !p.content && embeds.length === 0 && !p.sticker_ids && !p.components && !p.poll;
  if (empty && !opts.allowEmpty) return { message: 'Cannot send an empty message', code: 50006 };
  return undefined;
}

export function validateCommands(body: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(body)) {
    return {
      message: 'Invalid Form Body',
      code: 50035,
      errors: {
        _errors: [{ code: 'LIST_TYPE_CONVERT', message: 'Only iterables may be used in a ListType' }],
      },
    };
  }
  const errors: FormErrors = {};
  maxLength(errors, [], body, 100);
  body.forEach((raw, i) => {
    const c = asRecord(raw);
    const type = typeof c.type === 'number' ? c.type : 1;
    if (
      typeof c.name !== 'string' ||
      !/^[-_\p{L}\p{N}]{1,32}$/u.test(c.name) ||
      (type === 1 && c.name !== c.name.toLowerCase())
    ) {
      addError(errors, [i, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    }
    if (type === 1) {
      const d = typeof c.description === 'string' ? Array.from(c.description).length : 0;
      if (d < 1 || d > 100)
        addError(errors, [i, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
  });
  if (Object.keys(errors).length) return { message: 'Invalid Form Body', code: 50035, errors };
  return undefined;
}
