/**
 * Edit a JSON text in place: replace one value, add a member to an object, or remove one,
 * touching only those bytes, so everything else (inline arrays, spacing, escapes, key
 * order) stays exactly as the person wrote it. Returns undefined when an edit cannot be
 * done textually (the caller then re-serialises the whole document).
 */

interface Span {
  start: number;
  end: number;
}

interface ValueNode extends Span {
  kind: 'object' | 'array' | 'scalar';
  members?: Array<{ key: string; keyStart: number; value: ValueNode }>;
  items?: ValueNode[];
}

class JsonScanner {
  position = 0;
  constructor(private readonly text: string) {}

  private skipSpace(): void {
    while (/\s/.test(this.text[this.position] ?? '')) this.position += 1;
  }

  private readString(): string {
    const start = this.position;
    this.position += 1;
    while (this.position < this.text.length && this.text[this.position] !== '"') this.position += this.text[this.position] === '\\' ? 2 : 1;
    this.position += 1;
    return JSON.parse(this.text.slice(start, this.position)) as string;
  }

  value(): ValueNode {
    this.skipSpace();
    const start = this.position;
    const character = this.text[this.position];
    if (character === '{') {
      this.position += 1;
      const members: NonNullable<ValueNode['members']> = [];
      for (;;) {
        this.skipSpace();
        if (this.text[this.position] === '}') break;
        const keyStart = this.position;
        const key = this.readString();
        this.skipSpace();
        this.position += 1; // ':'
        members.push({ key, keyStart, value: this.value() });
        this.skipSpace();
        if (this.text[this.position] === ',') this.position += 1;
      }
      this.position += 1;
      return { kind: 'object', start, end: this.position, members };
    }
    if (character === '[') {
      this.position += 1;
      const items: ValueNode[] = [];
      for (;;) {
        this.skipSpace();
        if (this.text[this.position] === ']') break;
        items.push(this.value());
        this.skipSpace();
        if (this.text[this.position] === ',') this.position += 1;
      }
      this.position += 1;
      return { kind: 'array', start, end: this.position, items };
    }
    if (character === '"') {
      this.readString();
      return { kind: 'scalar', start, end: this.position };
    }
    while (this.position < this.text.length && !/[\s,\]}]/.test(this.text[this.position] ?? '')) this.position += 1;
    return { kind: 'scalar', start, end: this.position };
  }
}

function locate(root: ValueNode, path: string[]): ValueNode | undefined {
  let node: ValueNode | undefined = root;
  for (const segment of path) {
    if (node?.kind === 'object') node = node.members?.filter((member) => member.key === segment).pop()?.value;
    else if (node?.kind === 'array' && /^\d+$/.test(segment)) node = node.items?.[Number(segment)];
    else return undefined;
  }
  return node;
}

/** The whitespace that starts the line `position` is on. */
function indentAt(text: string, position: number): string {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
}

export type JsonEdit = { op: 'set'; path: string[]; value: string } | { op: 'remove'; path: string[] };

export function applyJsonEdit(text: string, edit: JsonEdit): string | undefined {
  let root: ValueNode;
  try {
    root = new JsonScanner(text).value();
  } catch {
    return undefined;
  }
  const parent = locate(root, edit.path.slice(0, -1));
  const last = edit.path[edit.path.length - 1] ?? '';
  if (parent?.kind !== 'object') {
    if (edit.op === 'set' && parent?.kind === 'array') {
      const item = locate(parent, [last]);
      return item === undefined ? undefined : text.slice(0, item.start) + JSON.stringify(edit.value) + text.slice(item.end);
    }
    return undefined;
  }
  const members = parent.members ?? [];
  const index = members.map((member) => member.key).lastIndexOf(last);
  const member = members[index];
  if (edit.op === 'set') {
    if (member !== undefined) return text.slice(0, member.value.start) + JSON.stringify(edit.value) + text.slice(member.value.end);
    const previous = members[members.length - 1];
    if (previous === undefined) return undefined;
    // Lay the new member out like the last one: same line break and indentation, same `": "`.
    const separator = /^"(?:[^"\\]|\\.)*"(\s*:\s*)/.exec(text.slice(previous.keyStart))?.[1] ?? ': ';
    const sameLine = !text.slice(parent.start, parent.end).includes('\n');
    const lead = sameLine ? ', ' : `,${text.includes('\r\n') ? '\r\n' : '\n'}${indentAt(text, previous.keyStart)}`;
    const insertion = `${lead}${JSON.stringify(last)}${separator}${JSON.stringify(edit.value)}`;
    return text.slice(0, previous.value.end) + insertion + text.slice(previous.value.end);
  }
  if (member === undefined) return text;
  // Remove the member with the separator before it (or after it, for the first member).
  const before = members[index - 1];
  if (before !== undefined) return text.slice(0, before.value.end) + text.slice(member.value.end);
  const next = members[index + 1];
  if (next !== undefined) return text.slice(0, member.keyStart) + text.slice(next.keyStart);
  return text.slice(0, parent.start + 1) + text.slice(parent.end - 1);
}
